// The baseline: a bare Node `http` server answering the same GET and POST
// from a plain Map. Nothing can be faster in Node, so every other figure is
// a ratio to this one, measured in the same run.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const store = new Map<string, string>();
const OK = 'Key-Value pair added successfully';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://raw');
  if (req.method === 'GET' && url.pathname.startsWith('/api/get/')) {
    const value = store.get(decodeURIComponent(url.pathname.slice('/api/get/'.length)));
    if (value === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"key not found"}');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(value);
    }
    return;
  }
  if (req.method === 'POST' && url.pathname === '/api/post') {
    store.set(url.searchParams.get('key') ?? '', url.searchParams.get('value') ?? '');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(OK);
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
