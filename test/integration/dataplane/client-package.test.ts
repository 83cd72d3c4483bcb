// The smart client as it is published (client/package.json): its own build,
// with declarations, gives the entry points that `exports` and `types` name,
// and the entry point gives what client/README.md documents.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../../..');
const CLIENT = join(ROOT, 'client');
/** Inside the repository, so that the built package finds the root node_modules as an installed one would find its own. */
const OUT = join(ROOT, '.tmp', 'client-package');

interface PackageJson {
  name: string;
  types: string;
  exports: { '.': { types: string; import: string } };
  files: string[];
  dependencies: Record<string, string>;
}

describe('the smart client package (client/)', function () {
  this.timeout(180_000);
  const pkg = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as PackageJson;
  /** A path of the package (as package.json names it) in the test's build. */
  const built = (path: string) => join(OUT, path.replace(/^\.\/dist\//, ''));

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(CLIENT, 'tsconfig.json'), '--outDir', OUT], { cwd: CLIENT });
  });

  after(() => rmSync(OUT, { recursive: true, force: true }));

  it('builds with its own tsconfig into the files that exports and types name', () => {
    expect(pkg.name).to.equal('@distributed-cache/client');
    expect(pkg.exports['.'].types).to.equal(pkg.types);
    for (const path of [pkg.exports['.'].import, pkg.exports['.'].types]) expect(existsSync(built(path)), path).to.equal(true);
    expect(pkg.files).to.include.members(['dist', 'README.md']);
    expect(readFileSync(built(pkg.types), 'utf8')).to.match(/export \{ CacheClient/);
  });

  it('exports the client and one error class per kind from its entry point', async () => {
    const entry = (await import(pathToFileURL(built(pkg.exports['.'].import)).href)) as Record<string, unknown>;
    for (const name of ['CacheClient', 'CacheClientError', 'UnavailableError', 'BadInputError', 'TooLargeError', 'AuthError', 'ServerError', 'ClosedError']) {
      expect(entry[name], name).to.be.a('function');
    }
    const { CacheClientError, UnavailableError } = entry as { CacheClientError: new (...a: never[]) => Error; UnavailableError: { prototype: object } };
    expect(Object.prototype.isPrototypeOf.call(CacheClientError.prototype, UnavailableError.prototype)).to.equal(true);
  });

  it('declares every package its built modules import', () => {
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          for (const [, spec] of readFileSync(path, 'utf8').matchAll(/from '([^'.][^']*)'/g)) {
            if (!spec!.startsWith('node:')) imported.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
          }
        }
      }
    };
    walk(OUT);
    expect([...imported].sort()).to.deep.equal(Object.keys(pkg.dependencies).sort());
  });
});
