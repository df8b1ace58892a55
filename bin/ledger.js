#!/usr/bin/env -S node --max-old-space-size=1024 --max-semi-space-size=8
// The V8 heap flags above bound the heap pages a busy node keeps. V8 lets the old generation
// grow to a multiple of what survived the last full collection, and that multiple goes up to
// 4 when the heap limit is 2 GB or more (the default on a machine with a few GB of memory);
// under a 1 GB limit it is about 1.6. 1 GB stays several times what the node's bounded
// tables hold at once (mempool, caches, block sync's requests in flight). The young
// generation's halves go from 16 MB to 8 MB. V8 sizes its heap when the process starts
// (v8.setFlagsFromString comes too late), so whatever spawns `node bin/ledger.js` passes
// these flags itself: the soak reads them from this line (scripts/soak/cluster.ts).
//
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
