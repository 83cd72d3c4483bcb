// Every failure a caller can see, as a typed error with one HTTP status,
// here and nowhere else. http/error-answer.ts turns them into
// `{"error": message}` for every dispatcher; nothing else leaks.

export abstract class CacheError extends Error {
  abstract readonly status: number;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>> = {};
}

/** The request is malformed: a bad key, TTL, JSON body or parameter. */
export class BadRequestError extends CacheError {
  readonly status = 400;
}

/** A value or body is larger than the limits allow. */
export class PayloadTooLargeError extends CacheError {
  readonly status = 413;
}

/**
 * An entry is larger than the whole store may hold (a small MAX_MEMORY). A
 * value that is too large, so 413 whether the server's own API or a router
 * met it (the router passes an owner's status through, see OwnerRefusedError).
 */
export class EntryTooLargeError extends PayloadTooLargeError {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`entry of ${bytes} bytes exceeds the store's ${maxBytes}-byte bound`);
  }
}

/** An internal call without the cluster token, or with a wrong one. */
export class UnauthorizedError extends CacheError {
  readonly status = 401;
  override readonly headers: Readonly<Record<string, string>> = { 'WWW-Authenticate': 'Cluster-Token' };
}

/** A public request without a client token the router accepts (client auth on). */
export class ClientUnauthorizedError extends CacheError {
  readonly status = 401;
  override readonly headers: Readonly<Record<string, string>> = { 'WWW-Authenticate': 'Bearer' };
}

export class KeyNotFoundError extends CacheError {
  readonly status = 404;
  constructor(key: string) {
    super(`key not found: ${JSON.stringify(key)}`);
  }
}

export class UnsupportedMediaTypeError extends CacheError {
  readonly status = 415;
}

/** No cache server can take the request now; the caller should retry shortly. */
export class ServiceUnavailableError extends CacheError {
  readonly status = 503;
  override readonly headers: Readonly<Record<string, string>>;
  /** `options.cause`: what made it so (an owner's failure), for in-process callers; never part of an answer. */
  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

export class RouteNotFoundError extends CacheError {
  readonly status = 404;
}

export class MethodNotAllowedError extends CacheError {
  readonly status = 405;
  override readonly headers: Readonly<Record<string, string>>;
  /** `allow` names the methods the route takes, for the Allow header, when the caller knows them. */
  constructor(message: string, allow?: string) {
    super(message);
    this.headers = allow ? { Allow: allow } : {};
  }
}

/**
 * A server refused an op it understood, in an internal batch: the router
 * answers with that server's status and message, unchanged (so an
 * EntryTooLargeError is 413 through a router too).
 */
export class OwnerRefusedError extends CacheError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
