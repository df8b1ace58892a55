/**
 * Runs a suite of test files found by pattern: every `*.test.ts` under test/, recursively.
 * Node 20's `--test` takes no globs and npm's shell expands `**` one level only, so the files
 * are listed here; a suite that finds no file fails instead of passing with zero tests.
 *
 *   tsx scripts/test.ts unit   every test file outside test/e2e (two files at a time)
 *   tsx scripts/test.ts e2e    the process-level tests of test/e2e (one file at a time)
 * Arguments after the suite name go to `node --test` (e.g. --test-name-pattern=...).
 * Both suites first build dist/ if it is older than the sources (scripts/build.ts
 * --if-stale): process tests run bin/ledger.js, which runs the compiled JavaScript.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

interface Suite {
  readonly includes: (path: string) => boolean;
  readonly concurrency: number;
}

const e2eFolder = `test${sep}e2e${sep}`;
const suites: Record<string, Suite> = {
  unit: { includes: (path) => !path.startsWith(e2eFolder), concurrency: 2 },
  e2e: { includes: (path) => path.startsWith(e2eFolder), concurrency: 1 },
};

const root = resolve(import.meta.dirname, '..');

async function testFiles(suite: Suite): Promise<string[]> {
  const entries = await readdir(join(root, 'test'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter(suite.includes)
    .sort();
}

function run(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return new Promise((done) => {
    child.on('exit', (code, signal) => done(code ?? (signal === null ? 1 : 128)));
  });
}

async function main(): Promise<number> {
  const [name, ...passThrough] = process.argv.slice(2);
  const suite = name === undefined ? undefined : suites[name];
  if (suite === undefined) {
    process.stderr.write(
      `usage: tsx scripts/test.ts <${Object.keys(suites).join('|')}> [node --test options]\n`,
    );
    return 2;
  }
  const files = await testFiles(suite);
  if (files.length === 0) {
    process.stderr.write(`test suite '${name}': no *.test.ts file found under test/\n`);
    return 1;
  }
  // a tree without the build (the runner's own test copies only this script) has none to run
  const build = join(root, 'scripts/build.ts');
  if (existsSync(build)) {
    const built = await run(['--import', 'tsx', build, '--if-stale']);
    if (built !== 0) return built;
  }
  process.stdout.write(`test suite '${name}': ${files.length} files\n`);
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${suite.concurrency}`,
    ...passThrough,
    ...files,
  ];
  return run(args);
}

process.exitCode = await main();
