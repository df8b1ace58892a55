/**
 * The node flags of the `ledger` launcher's first line (`#!/usr/bin/env -S node <flags>`, the
 * V8 heap bounds of bin/ledger.js): a process spawned as `node bin/ledger.js` would run
 * without them, so the devnet, the soak and the e2e tests' nodes pass them themselves. Read
 * from the launcher given, so a soak of another checkout runs with that checkout's flags.
 */
import { readFileSync } from 'node:fs';

export function launcherNodeFlags(launcher: string): string[] {
  const words = readFileSync(launcher, 'utf8')
    .split('\n', 1)[0]
    .replace(/^#!\S*env\s+(-S\s+)?/, '')
    .trim()
    .split(/\s+/);
  return words[0] === 'node' ? words.slice(1).filter((w) => w.startsWith('--')) : [];
}
