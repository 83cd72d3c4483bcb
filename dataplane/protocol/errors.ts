// Every failure a caller can see, as a typed error with one HTTP status.
// The error middleware turns them into `{"error": message}`; nothing else leaks.

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
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

export class RouteNotFoundError extends CacheError {
  readonly status = 404;
}

export class MethodNotAllowedError extends CacheError {
  readonly status = 405;
}
