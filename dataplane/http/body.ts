// Request bodies, read only by the routes that take one, with a size cap.
import type { Context } from 'koa';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../protocol/errors.js';
import { MAX_BODY_BYTES } from '../protocol/limits.js';

export async function readBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new PayloadTooLargeError(`request body is ${declared} bytes; the limit is ${limit}`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      // Stop reading; the connection is closed after the answer.
      ctx.set('Connection', 'close');
      throw new PayloadTooLargeError(`request body exceeds the ${limit}-byte limit`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/** A JSON body; the content type must say JSON when it is given at all. */
export async function readJson(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(`expected a JSON body (Content-Type: application/json), got ${type}`);
  }
  const body = await readBody(ctx, limit);
  if (body.length === 0) throw new BadRequestError('request body is empty; expected JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A UTF-8 text body (PUT's value). Invalid UTF-8 is refused rather than mangled. */
export async function readText(ctx: Context, limit: number): Promise<string> {
  const body = await readBody(ctx, limit);
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new BadRequestError('value is not valid UTF-8');
  }
}
