// A process's cluster credential: the tokens it holds, the check its internal
// routes apply, and the headers its internal calls send. From a file, the
// tokens are re-read every few seconds, so that a rotation (a Kubernetes
// Secret updated in place) needs no restart. Never logs a token.
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
import { isProblem, pollTokenFile, readTokenFile } from './token-file.js';

type Headers = Readonly<Record<string, string>>;
const NO_HEADERS: Headers = {};

export class ClusterCredential {
  private tokens: ClusterTokens | undefined;
  private digests: Buffer[] = [];
  private currentHeaders: Headers = NO_HEADERS;
  private previousHeaders: Headers | undefined;
  private stopPolling: (() => void) | undefined;

  private constructor(private readonly file: string | undefined) {}

  /** Opens the setting; a token file that cannot be used is a ConfigError, as a bad setting is. */
  static async open(setting: TokenSetting): Promise<ClusterCredential> {
    if (setting.source === 'none') return new ClusterCredential(undefined);
    if (setting.source === 'env') return new ClusterCredential(undefined).use(setting.tokens);
    const credential = new ClusterCredential(setting.path);
    const read = await readTokenFile(setting.path, parseTokenFile);
    if (isProblem(read)) throw new ConfigError(SETTINGS.clusterTokenFile.env, read.problem);
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
    if (file === undefined || this.stopPolling !== undefined) return this;
    this.stopPolling = pollTokenFile(file, parseTokenFile, (read) => {
      if (read.current === this.tokens?.current && read.previous === this.tokens?.previous) return;
      this.use(read);
      logger.info({ file, tokens: read.previous === undefined ? 1 : 2 }, 'cluster tokens changed');
    }, logger, 'cluster token');
    return this;
  }

  stop(): void {
    this.stopPolling?.();
    this.stopPolling = undefined;
  }

  private use(tokens: ClusterTokens): this {
    this.tokens = tokens;
    this.digests = acceptedDigests(tokens);
    this.currentHeaders = { [CLUSTER_TOKEN_HEADER]: tokens.current };
    this.previousHeaders = tokens.previous === undefined ? undefined : { [CLUSTER_TOKEN_HEADER]: tokens.previous };
    return this;
  }
}
