// /healthz, /readyz and /metrics on HEALTH_PORT.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Undefined when ready, else why not. */
  notReadyReason(): string | undefined;
}

export function startHealthServer(port: number, checks: HealthChecks, registry: Registry): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      response.writeHead(code, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz') {
      const reason = checks.notReadyReason();
      return reason === undefined ? reply(200, 'ok\n') : reply(503, `not ready: ${reason}\n`);
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (error: unknown) => reply(500, `${String(error)}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
