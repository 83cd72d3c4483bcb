// Reading a token file, and re-reading it every few seconds so that a
// rotation (a Kubernetes Secret updated in place) needs no restart. Shared by
// the cluster token and the client tokens. Never logs a file's contents.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';

/** How often a token file is re-read; a kubelet takes up to a minute or so to update a mounted Secret anyway. */
export const TOKEN_FILE_POLL_MS = 2000;

export type Parsed<T> = T | { problem: string };

export async function readTokenFile<T>(path: string, parse: (text: string) => Parsed<T>): Promise<Parsed<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  return parse(text);
}

export function isProblem<T>(read: Parsed<T>): read is { problem: string } {
  return typeof read === 'object' && read !== null && 'problem' in read && !Array.isArray(read);
}

/**
 * Re-reads `path` until the returned stop() is called, handing every usable
 * read to `use`; a file that turns unusable keeps what was read before, and
 * is reported once per new problem.
 */
export function pollTokenFile<T>(path: string, parse: (text: string) => Parsed<T>, use: (value: T) => void, logger: Logger, what: string): () => void {
  let lastProblem: string | undefined;
  const poller = setInterval(() => {
    void readTokenFile(path, parse).then((read) => {
      if (isProblem(read)) {
        if (read.problem !== lastProblem) logger.warn({ file: path, problem: read.problem }, `cannot use the ${what} file; keeping the tokens read before`);
        lastProblem = read.problem;
        return;
      }
      lastProblem = undefined;
      use(read);
    });
  }, TOKEN_FILE_POLL_MS);
  poller.unref();
  return () => clearInterval(poller);
}
