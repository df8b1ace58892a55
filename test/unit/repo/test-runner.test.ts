/** scripts/test.ts finds test files by pattern, recursively, and fails when a suite finds none. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../../..');

/** Runs a copy of the runner placed in `tree`, so it lists that tree's test/ folder. */
function runRunnerIn(tree: string, suite: string): { status: number | null; output: string } {
  // without this, node:test in the grandchild sees it runs inside a test and skips its files
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(tree, 'scripts', 'test.ts'), suite], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('test runner', () => {
  let tree: string;
  before(async () => {
    tree = await mkdtemp(join(tmpdir(), 'runner-'));
    await mkdir(join(tree, 'scripts'));
    await mkdir(join(tree, 'test', 'e2e'), { recursive: true });
    await copyFile(join(root, 'scripts', 'test.ts'), join(tree, 'scripts', 'test.ts'));
    await writeFile(join(tree, 'package.json'), '{"type":"module"}\n');
    await symlink(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
  });
  after(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  it('fails when a suite finds no test file', () => {
    const { status, output } = runRunnerIn(tree, 'unit');
    assert.equal(status, 1, output);
    assert.match(output, /no \*\.test\.ts file found/);
  });

  it('finds files nested several folders deep and runs them', async () => {
    const nested = join(tree, 'test', 'a', 'b', 'c');
    await mkdir(nested, { recursive: true });
    await writeFile(
      join(nested, 'deep.test.ts'),
      "import { it } from 'node:test';\nit('deep test ran', () => {});\n",
    );
    const { status, output } = runRunnerIn(tree, 'unit');
    assert.equal(status, 0, output);
    assert.match(output, /1 files/);
    assert.match(output, /deep test ran/);
    // the e2e folder is its own suite, and it is still empty
    assert.equal(runRunnerIn(tree, 'e2e').status, 1);
  });

  it('refuses an unknown suite name', () => {
    assert.equal(runRunnerIn(tree, 'everything').status, 2);
  });
});
