// What the Kubernetes API refused, as one error value: the HTTP code, the
// Status reason and message, and the request. Both ways the library reports a
// refusal (ApiException for requests, a status code for a watch) end here.
import * as http from 'node:http';
import { ApiException } from '@kubernetes/client-node';
import type { ExplainedFailure } from '../reconcile/ports.js';

/** A Status the API server answered with: `code` is the HTTP status, `reason` its CamelCase word. */
export class KubeApiError extends Error implements ExplainedFailure {
  constructor(
    readonly code: number,
    readonly reason: string,
    /** The API server's message alone, as a person should read it (it names the object). */
    readonly detail: string,
    readonly verb: string,
    readonly path: string,
  ) {
    super(`${verb} ${path}: ${code} ${reason}: ${detail}`);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.code === 409;
export const isGone = (error: unknown): boolean => error instanceof KubeApiError && error.code === 410;

/** The library's ApiException (body: the Status as JSON text) as a KubeApiError; anything else as it is. */
export function fromApiException(error: unknown, verb: string, path: string): unknown {
  if (!(error instanceof ApiException)) return error;
  const code = Number(error.code);
  let status: { reason?: unknown; message?: unknown } = {};
  const body: unknown = error.body;
  try {
    status = (typeof body === 'string' ? JSON.parse(body) : (body ?? {})) as typeof status;
  } catch {
    status = { message: body };
  }
  const reason = typeof status.reason === 'string' ? status.reason : (http.STATUS_CODES[code] ?? 'Unknown');
  const message = typeof status.message === 'string' ? status.message : String(body ?? '').trim();
  return new KubeApiError(code, reason, message, verb, path);
}

/**
 * A refused watch (the library keeps its status code, not its body) as a
 * KubeApiError; a broken stream as it is.
 */
export function watchFailure(error: unknown, path: string): unknown {
  const code = (error as { statusCode?: unknown }).statusCode;
  if (typeof code !== 'number') return error;
  return new KubeApiError(code, http.STATUS_CODES[code] ?? 'Unknown', error instanceof Error ? error.message : String(error), 'WATCH', path);
}
