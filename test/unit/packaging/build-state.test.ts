/** bin/build-state.js: when the `ledger` launcher trusts dist/ and when it runs the sources. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILD_STAMP, buildIsCurrent, isSourceCheckout } from '../../../bin/build-state.js';

// In the past, so that a change made now (a deleted file dates its folder) comes after the build.
const BUILT_AT = new Date(Date.now() - 3_600_000);
const BEFORE = new Date(BUILT_AT.getTime() - 60_000);
const AFTER = new Date(BUILT_AT.getTime() + 60_000);

async function writeDated(path: string, when: Date): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, 'x');
  await utimes(path, when, when);
}

describe('build state', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ledger-build-state-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** A checkout whose every build input predates the stamp (folders too: their mtime counts). */
  async function builtCheckout(name: string): Promise<string> {
    const dir = join(root, name);
    for (const file of ['src/cli/main.ts', 'explorer/web/public/explorer.css', 'package.json']) {
      await writeDated(join(dir, file), BEFORE);
    }
    for (const folder of ['src/cli', 'src', 'explorer/web/public', 'explorer/web', 'explorer']) {
      await utimes(join(dir, folder), BEFORE, BEFORE);
    }
    await writeDated(join(dir, BUILD_STAMP), BUILT_AT);
    return dir;
  }

  it('an installed package (no src/) is not a source checkout', async () => {
    const dir = join(root, 'installed');
    await writeDated(join(dir, 'dist/src/cli/main.js'), BEFORE);
    assert.equal(isSourceCheckout(dir), false);
    assert.equal(isSourceCheckout(await builtCheckout('checkout')), true);
  });

  it('dist/ is current when the stamp is newer than every input', async () => {
    assert.equal(buildIsCurrent(await builtCheckout('current')), true);
  });

  it('without a stamp (never built, or a build that failed or is running) dist/ is not current', async () => {
    const dir = await builtCheckout('no-stamp');
    await rm(join(dir, BUILD_STAMP));
    assert.equal(buildIsCurrent(dir), false);
  });

  it('a source, an asset or package.json changed after the build makes dist/ stale', async () => {
    for (const file of ['src/cli/main.ts', 'explorer/web/public/explorer.css', 'package.json']) {
      const dir = await builtCheckout(`changed-${file.replaceAll('/', '-')}`);
      await utimes(join(dir, file), AFTER, AFTER);
      assert.equal(buildIsCurrent(dir), false, `${file} changed`);
    }
  });

  it('a file added after the build makes dist/ stale', async () => {
    const dir = await builtCheckout('added');
    await writeDated(join(dir, 'src/cli/new-command.ts'), AFTER);
    assert.equal(buildIsCurrent(dir), false);
  });

  it('a file deleted after the build makes dist/ stale (its folder changed)', async () => {
    const dir = await builtCheckout('deleted');
    await rm(join(dir, 'src/cli/main.ts'));
    assert.equal(buildIsCurrent(dir), false);
  });
});
