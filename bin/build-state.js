// Whether dist/ holds the build of the sources beside it. Plain JavaScript, because the
// `ledger` launcher asks before anything can compile TypeScript.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Written by scripts/build.ts after a build, dated when that build began. */
export const BUILD_STAMP = 'dist/.build-stamp';

/** What the build reads: a change to any of them makes dist/ out of date. */
const BUILD_INPUTS = [
  'src',
  'explorer',
  'scripts/devnet.ts',
  'genesis',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
];

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestMtimeMs(path) {
  const own = mtimeMs(path) ?? 0;
  let entries;
  try {
    entries = readdirSync(path, { recursive: true, withFileTypes: true });
  } catch {
    return own; // a file, or absent
  }
  let newest = own;
  for (const entry of entries) newest = Math.max(newest, mtimeMs(join(entry.parentPath, entry.name)) ?? 0);
  return newest;
}

/** A git checkout has src/; an installed package ships only dist/. */
export function isSourceCheckout(root) {
  return mtimeMs(join(root, 'src')) !== undefined;
}

/**
 * True when dist/ was built after the last change to any build input. Compares modification
 * times, so a checkout that touches files counts as a change: the cost is a rebuild, never
 * running stale code.
 */
export function buildIsCurrent(root) {
  const builtMs = mtimeMs(join(root, BUILD_STAMP));
  if (builtMs === undefined) return false;
  return BUILD_INPUTS.every((input) => newestMtimeMs(join(root, input)) <= builtMs);
}
