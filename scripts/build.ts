/**
 * `npm run build` (also run by `npm install` through `prepare`, and before the tests): compiles
 * src/, explorer/ and scripts/devnet.ts with `tsc -p tsconfig.build.json` into dist/, then
 * copies beside the compiled files what they read from disk relative to their own location:
 *
 *   explorer/web/public/          the explorer's static assets (express.static in router.tsx)
 *   genesis/devnet.json           the wallet's default chain (src/wallet/chain.ts)
 *   genesis/devnet-keys/faucet.json
 *
 * Those files resolve `../../…` from their own folder, one level deeper in dist/ than in
 * the sources. dist/ gets no package.json: code that looks for the project folder walks up
 * to the nearest one (scripts/devnet.ts), which must stay the repository's or the
 * installed package's. Last, dist/.build-stamp records when the build began
 * (bin/build-state.js).
 *
 *   tsx scripts/build.ts [--clean]    --clean: start from an empty dist/ (what `npm pack` ships)
 *   tsx scripts/build.ts --if-stale   build only when dist/ is older than its sources (silent if not)
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { BUILD_STAMP, buildIsCurrent } from '../bin/build-state.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
/**
 * Where tsconfig.build.json keeps tsc's incremental state: outside dist/, so not packed, and
 * in this checkout, not in node_modules, which a second worktree may share through a link
 * (its build would then leave state that makes this one skip emitting changed files).
 */
const BUILD_INFO = join(ROOT, '.cache/build.tsbuildinfo');

const COPIED = ['explorer/web/public', 'genesis/devnet.json', 'genesis/devnet-keys/faucet.json'];

function runTsc(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`tsc -p tsconfig.build.json exited ${code}`)),
    );
  });
}

async function copyRunTimeFiles(): Promise<void> {
  for (const path of COPIED) {
    const target = join(DIST, path);
    await rm(target, { recursive: true, force: true });
    await mkdir(dirname(target), { recursive: true });
    await cp(join(ROOT, path), target, { recursive: true });
  }
}

async function build(clean: boolean): Promise<void> {
  const began = new Date();
  if (clean) {
    // tsc's incremental state would skip emitting files it believes are already in dist/
    await rm(DIST, { recursive: true, force: true });
    await rm(BUILD_INFO, { force: true });
  }
  await rm(join(ROOT, BUILD_STAMP), { force: true });
  await runTsc();
  await copyRunTimeFiles();
  // Dated when the build began: a source saved during the build still counts as newer.
  const stamp = join(ROOT, BUILD_STAMP);
  await writeFile(stamp, `${began.toISOString()}\n`);
  await utimes(stamp, began, began);
}

const args = process.argv.slice(2);
if (!(args.includes('--if-stale') && buildIsCurrent(ROOT))) {
  try {
    await build(args.includes('--clean'));
  } catch (error) {
    // tsc has printed its diagnostics; one line says which step failed
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
