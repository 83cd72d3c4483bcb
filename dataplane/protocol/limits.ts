// Limits of the public API (the same as memcached's) and of internal batches.

export const MAX_KEY_BYTES = 250;
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Longest TTL a caller may ask for: one year, in seconds. */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;
/** Keys in one mget or mset. */
export const MAX_BATCH_KEYS = 1000;
/** Bytes of one request body: enough for a full value with JSON escaping, or a modest batch. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Bytes of an oversized body read and dropped so that its sender can read the 413; past this, the connection is cut. */
export const MAX_DISCARDED_BYTES = 2 * MAX_BODY_BYTES;
/** A POST /api/post value travels in the query string, so the request head must fit it percent-encoded. */
export const MAX_REQUEST_HEAD_BYTES = 3 * MAX_VALUE_BYTES + 16 * 1024;
/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = 1;
