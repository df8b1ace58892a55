#!/usr/bin/env node
// Launcher of the `ledger` command: runs the compiled JavaScript in dist/ (`npm run build`,
// which `npm install` runs). In a source checkout whose dist/ is older than its sources, it
// runs the TypeScript through tsx (a dev dependency) instead, so a test or a developer never
// runs stale code between an edit and the next build.
import { fileURLToPath } from 'node:url';
import { buildIsCurrent, isSourceCheckout } from './build-state.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function runFromSource() {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    return false;
  }
  register();
  await import('../src/cli/main.ts');
  return true;
}

if (!(isSourceCheckout(root) && !buildIsCurrent(root) && (await runFromSource()))) {
  try {
    await import('../dist/src/cli/main.js');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/cli/main.js'))
      throw error;
    process.stderr.write('error NOT_BUILT: dist/ is missing: run `npm run build` (or `npm install`)\n');
    process.exitCode = 1;
  }
}
