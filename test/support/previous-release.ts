// Earlier releases of this repository, for tests that upgrade a running fleet
// from one: hack/build-release.sh builds a commit from git into ~/.cache once,
// and a test starts its dist/dataplane/main.js (DataplaneOptions.main).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoPath } from './operator-repo.js';

/**
 * The last commit before zone placement (bd4479b): its servers publish only
 * `{id, address, state}` and its routers ignore zones. `make test-history`
 * builds it (test/unit/previous-release.test.ts checks the Makefile agrees).
 */
export const RELEASE_BEFORE_PLACEMENT = '8a282b5';

/** The entry point of a built release; `make test-history` builds it before the suite runs. */
export function releaseMain(rev: string): string {
  const script = repoPath('hack', 'build-release.sh');
  const main = execFileSync(script, ['--print-path', rev], { encoding: 'utf8' }).trim();
  if (!existsSync(main)) {
    throw new Error(`release ${rev} is not built (${main} is missing): run ${script} ${rev}, as \`make test-history\` does`);
  }
  return main;
}
