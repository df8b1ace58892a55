/**
 * `npm pack` ships a package that installs into an empty folder and runs `ledger --help`.
 *
 * The install does not reach the network: the temp project gets a lockfile made from the
 * repository's own (its runtime packages, at the versions node_modules has), so `npm ci
 * --offline` takes every tarball from the local npm cache by its integrity. It also carries
 * what a project using this package adds to install without warnings: the p-retry override
 * and the install-script approvals of the repository's package.json.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const STEP_TIMEOUT_MS = 90_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function assertRan(result: Run, what: string): void {
  assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
}

interface LockEntry {
  version?: string;
  resolved?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}

interface PackageJson {
  name: string;
  version: string;
  license: string;
  engines: Record<string, string>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

/** The registry's tarball address, for lock entries npm wrote without one. */
function registryTarball(path: string, version: string): string {
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** A project that depends on the tarball only, locked to the repository's runtime packages. */
async function writeConsumerProject(dir: string, tarball: string): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const rootLock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash('sha512')
    .update(await readFile(join(dir, tarball)))
    .digest('base64')}`;
  const runtimeScripts = Object.fromEntries(
    Object.entries(pkg.allowScripts ?? {}).filter(([name]) => !(name in pkg.devDependencies)),
  );
  const consumer = {
    name: 'pack-consumer',
    private: true,
    dependencies: { [pkg.name]: spec },
    overrides: pkg.overrides,
    allowScripts: runtimeScripts,
  };
  const packages: Record<string, unknown> = {
    '': { name: consumer.name, dependencies: consumer.dependencies },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(rootLock.packages)) {
    if (path === '' || entry.dev || entry.devOptional) continue;
    const resolved =
      entry.resolved ?? (entry.link ? undefined : registryTarball(path, String(entry.version)));
    packages[path] = { ...entry, resolved };
  }
  const lock = { name: consumer.name, lockfileVersion: 3, requires: true, packages };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(consumer, null, 2)}\n`);
  await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
}

describe('npm pack', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-pack-'));
    // The test suite builds dist/ first (scripts/test.ts); a file run alone builds here.
    assertRan(
      await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--if-stale'], ROOT),
      'build',
    );
    // --ignore-scripts: pack this build, not a clean rebuild (prepare), which would cost a
    // full compile and pull dist/ from under other processes running bin/ledger.js.
    const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    assertRan(packed, 'npm pack');
    const [report] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = report.filename;
    files = report.files.map((file) => file.path);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ships the launcher, the compiled code and its run-time files; no sources, tests or data', () => {
    // a package.json in dist/ would pass for the project folder (scripts/devnet.ts walks up to one)
    assert.ok(!files.includes('dist/package.json'), 'dist/package.json in the tarball');
    for (const needed of [
      'package.json',
      'bin/ledger.js',
      'bin/build-state.js',
      'dist/src/cli/main.js',
      'dist/scripts/devnet.js',
      'dist/explorer/web/public/explorer.css',
      'dist/genesis/devnet.json',
    ]) {
      assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
    }
    const unwanted = files.filter(
      (path) => /^(src|test|data|scripts|explorer|genesis)\//.test(path) || path.endsWith('.ts'),
    );
    assert.deepEqual(
      unwanted.filter((path) => !path.endsWith('.d.ts')),
      [],
      'sources, tests or data in the tarball',
    );
  });

  it('installs into an empty folder without the network or warnings, and `ledger --help` runs', async () => {
    await writeConsumerProject(dir, tarball);
    const installed = await run(NPM, ['ci', '--offline', '--no-audit', '--no-fund'], dir);
    assertRan(installed, 'npm ci --offline of the tarball');
    assert.doesNotMatch(installed.stderr, /npm warn/i, 'npm ci printed a warning');

    const help = await run(join(dir, 'node_modules/.bin/ledger'), ['--help'], dir);
    assertRan(help, 'ledger --help');
    assert.match(help.stdout, /^Usage: ledger /m);
    assert.match(help.stdout, /\bnode\b/, 'the help lists the node command');
    // the installed launcher finds the package's own package.json above dist/
    const version = await run(join(dir, 'node_modules/.bin/ledger'), ['--version'], dir);
    assertRan(version, 'ledger --version');
    const { version: expected } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(version.stdout.trim(), expected);
  });
});
