// The earlier release the upgrade history test starts is the one `make
// test-history` builds before mocha runs (outside its timeouts).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { repoPath } from '../support/operator-repo.js';
import { RELEASE_BEFORE_PLACEMENT } from '../support/previous-release.js';

/** The recipe lines of a Makefile target. */
function recipe(makefile: string, target: string): string[] {
  const lines = makefile.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${target}:`));
  if (start < 0) return [];
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('\t')) break;
    body.push(line.trim());
  }
  return body;
}

describe('releases the tests start', () => {
  it('make test-history builds the release before placement before it runs mocha', () => {
    const lines = recipe(readFileSync(repoPath('Makefile'), 'utf8'), 'test-history');
    const build = lines.findIndex((line) => line.startsWith(`hack/build-release.sh ${RELEASE_BEFORE_PLACEMENT} `));
    const mocha = lines.findIndex((line) => line.includes('.mocharc.history.json'));
    expect(build, `test-history runs hack/build-release.sh ${RELEASE_BEFORE_PLACEMENT}`).to.be.at.least(0);
    expect(build).to.be.below(mocha);
  });
});
