// A process's cluster credential: the tokens it holds, the check its internal
// routes apply, and the headers its internal calls send. From a file, the
// tokens are re-read every few seconds, so that a rotation (a Kubernetes
// Secret updated in place) needs no restart. Never logs a token.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/settings.js';
import { SETTINGS } from '../config/contract.js';
import type { Logger } from '../observability/logger.js';
import {
  acceptedDigests,
  CLUSTER_TOKEN_HEADER,
  judgeToken,
  parseTokenFile,
  type ClusterTokens,
  type TokenSetting,
  type TokenVerdict,
} from './cluster-token.js';

/** How often a token file is re-read; a kubelet takes up to a minute or so to update a mounted Secret anyway. */
export const TOKEN_FILE_POLL_MS = 2000;

type Headers = Readonly<Record<string, string>>;
const NO_HEADERS: Headers = {};

export class ClusterCredential {
  private tokens: ClusterTokens | undefined;
  private digests: Buffer[] = [];
  private currentHeaders: Headers = NO_HEADERS;
  private previousHeaders: Headers | undefined;
  private poller: NodeJS.Timeout | undefined;
  private lastProblem: string | undefined;

  private constructor(private readonly file: string | undefined) {}

  /** Opens the setting; a token file that cannot be used is a ConfigError, as a bad setting is. */
  static async open(setting: TokenSetting): Promise<ClusterCredential> {
    if (setting.source === 'none') return new ClusterCredential(undefined);
    if (setting.source === 'env') return new ClusterCredential(undefined).use(setting.tokens);
    const credential = new ClusterCredential(setting.path);
    const read = await readTokenFile(setting.path);
    if ('problem' in read) throw new ConfigError(SETTINGS.clusterTokenFile.env, read.problem);
    return credential.use(read);
  }

  /** No token at all (--insecure): internal routes take anyone, and calls carry nothing. */
  get insecure(): boolean {
    return this.tokens === undefined;
  }

  judge(presented: string | string[] | undefined): TokenVerdict {
    return this.tokens === undefined ? 'accepted' : judgeToken(presented, this.digests);
  }

  /**
   * Sends an internal call with the current token, and once more with the
   * previous one if the peer refused it (401): during a rotation a peer may
   * not have read the new token yet. `discard` frees a refused answer's body.
   */
  async send<T>(call: (headers: Headers) => Promise<T>, statusOf: (answer: T) => number, discard?: (answer: T) => Promise<unknown>): Promise<T> {
    const previous = this.previousHeaders;
    const answer = await call(this.currentHeaders);
    if (statusOf(answer) !== 401 || previous === undefined) return answer;
    await discard?.(answer);
    return call(previous);
  }

  /** Re-reads the token file until stop(); a file that turns unusable keeps the last good tokens. */
  watch(logger: Logger): this {
    const file = this.file;
    if (file === undefined || this.poller !== undefined) return this;
    this.poller = setInterval(() => {
      void readTokenFile(file).then((read) => {
        if ('problem' in read) {
          if (read.problem !== this.lastProblem) logger.warn({ file, problem: read.problem }, 'cannot use the cluster token file; keeping the tokens read before');
          this.lastProblem = read.problem;
          return;
        }
        this.lastProblem = undefined;
        if (read.current === this.tokens?.current && read.previous === this.tokens?.previous) return;
        this.use(read);
        logger.info({ file, tokens: read.previous === undefined ? 1 : 2 }, 'cluster tokens changed');
      });
    }, TOKEN_FILE_POLL_MS);
    this.poller.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private use(tokens: ClusterTokens): this {
    this.tokens = tokens;
    this.digests = acceptedDigests(tokens);
    this.currentHeaders = { [CLUSTER_TOKEN_HEADER]: tokens.current };
    this.previousHeaders = tokens.previous === undefined ? undefined : { [CLUSTER_TOKEN_HEADER]: tokens.previous };
    return this;
  }
}

async function readTokenFile(path: string): Promise<ClusterTokens | { problem: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  return parseTokenFile(text);
}
