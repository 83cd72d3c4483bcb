// Every failure the smart client reports, as one class per kind, and the one
// pure mapping from the data plane's own failures (dataplane/protocol/errors.ts,
// the transport's UpstreamError) to them. A caller branches on the class (or
// `kind`), never on a message.
import {
  BadRequestError,
  CacheError,
  OwnerRefusedError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../dataplane/protocol/errors.js';
import { RETRY_AFTER_SECONDS } from '../../dataplane/protocol/limits.js';
import { UpstreamError } from '../../dataplane/transport/server-channel.js';

export type CacheClientErrorKind = 'unavailable' | 'bad-input' | 'too-large' | 'auth' | 'closed' | 'server';

export abstract class CacheClientError extends Error {
  abstract readonly kind: CacheClientErrorKind;
  /** Whether the same call may succeed if made again shortly. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No owner of the key could take the call now (no server, every owner unreachable, or a write that kept losing): retry after `retryAfterMs`. */
export class UnavailableError extends CacheClientError {
  readonly kind = 'unavailable';
  readonly retryable = true;
  constructor(message: string, readonly retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A key, value, TTL, batch or option the cache does not take (the router's 400). */
export class BadInputError extends CacheClientError {
  readonly kind: CacheClientErrorKind = 'bad-input';
  readonly retryable = false;
}

/** A value over the API's limit, or an entry larger than a server's whole store (the router's 413). */
export class TooLargeError extends BadInputError {
  override readonly kind = 'too-large';
}

/** The servers refused this client's cluster token: it is wrong, or was rotated out (README "Security"). */
export class AuthError extends CacheClientError {
  readonly kind = 'auth';
  readonly retryable = false;
}

/** The client was closed. */
export class ClosedError extends CacheClientError {
  readonly kind = 'closed';
  readonly retryable = false;
  constructor() {
    super('the cache client is closed');
  }
}

/** An owner refused a call for a reason the API does not name, or the client failed unexpectedly. */
export class ServerError extends CacheClientError {
  readonly kind = 'server';
  readonly retryable = false;
  constructor(message: string, readonly status: number | undefined, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The status an owner refused with, if the failure was an owner's refusal of the call itself. */
function refusedStatus(error: unknown): number | undefined {
  if (error instanceof OwnerRefusedError) return error.status;
  if (error instanceof UpstreamError) return error.status;
  return undefined;
}

/** The status of the refusal behind a 503, if every owner refused (rather than failed to answer). */
function causeStatus(error: ServiceUnavailableError): number | undefined {
  return refusedStatus(error.cause);
}

function byStatus(status: number, message: string, cause: unknown): CacheClientError {
  if (status === 401) return new AuthError(`a cache server refused the cluster token: ${message}`, { cause });
  if (status === 413) return new TooLargeError(message, { cause });
  if (status === 400 || status === 415) return new BadInputError(message, { cause });
  return new ServerError(message, status, { cause });
}

/**
 * The typed error for any failure of a call: the routing core's CacheErrors
 * (the statuses a router would answer with) become their kind; a 503 whose
 * cause is a refused cluster token is an AuthError, since retrying cannot
 * help; anything else is a ServerError.
 */
export function toClientError(error: unknown): CacheClientError {
  if (error instanceof CacheClientError) return error;
  if (error instanceof ServiceUnavailableError) {
    if (causeStatus(error) === 401) return byStatus(401, (error.cause as Error).message, error);
    const seconds = Number(error.headers['Retry-After'] ?? RETRY_AFTER_SECONDS);
    return new UnavailableError(error.message, seconds * 1000, { cause: error.cause ?? error });
  }
  if (error instanceof PayloadTooLargeError) return new TooLargeError(error.message, { cause: error });
  if (error instanceof BadRequestError || error instanceof UnsupportedMediaTypeError) return new BadInputError(error.message, { cause: error });
  if (error instanceof UnauthorizedError) return new AuthError(error.message, { cause: error });
  if (error instanceof CacheError) return byStatus(error.status, error.message, error);
  const status = refusedStatus(error);
  if (status !== undefined) return byStatus(status, (error as Error).message, error);
  return new ServerError(`unexpected failure: ${(error as Error | undefined)?.message ?? String(error)}`, undefined, { cause: error });
}
