// A router's client credential: the bearer tokens its public API accepts,
// from a file it re-reads, so tokens are added and revoked with no restart.
// Never logs a token.
import { ConfigError } from '../config/settings.js';
import { SETTINGS } from '../config/contract.js';
import type { Logger } from '../observability/logger.js';
import type { TokenVerdict } from './cluster-token.js';
import { judgeBearer, parseClientTokens } from './client-tokens.js';
import { isProblem, pollTokenFile, readTokenFile } from './token-file.js';

export class ClientCredential {
  private stopPolling: (() => void) | undefined;

  private constructor(private readonly file: string, private digests: Buffer[]) {}

  /** A file that cannot be used is a ConfigError, as a bad setting is. */
  static async open(file: string): Promise<ClientCredential> {
    const read = await readTokenFile(file, parseClientTokens);
    if (isProblem(read)) throw new ConfigError(SETTINGS.clientTokensFile.env, read.problem);
    return new ClientCredential(file, read);
  }

  judge(authorization: string | undefined): TokenVerdict {
    return judgeBearer(authorization, this.digests);
  }

  watch(logger: Logger): this {
    if (this.stopPolling !== undefined) return this;
    this.stopPolling = pollTokenFile(this.file, parseClientTokens, (digests) => {
      if (digests.length === this.digests.length && digests.every((digest, i) => digest.equals(this.digests[i] as Buffer))) return;
      this.digests = digests;
      logger.info({ file: this.file, tokens: digests.length }, 'client tokens changed');
    }, logger, 'client tokens');
    return this;
  }

  stop(): void {
    this.stopPolling?.();
    this.stopPolling = undefined;
  }
}
