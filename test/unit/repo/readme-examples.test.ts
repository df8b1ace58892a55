/**
 * The README quotes docs/examples/ethers-transfer.ts, which test/integration/rpc-clients
 * runs against real validators: the two must stay the same text, so what the README shows
 * is what the suite runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../../..');

describe('README examples', () => {
  it('quotes docs/examples/ethers-transfer.ts verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(ROOT, 'docs/examples/ethers-transfer.ts'), 'utf8').trimEnd();
    assert.ok(
      readme.includes(`\`\`\`ts\n${example}\n\`\`\``),
      'the README block differs from the example file',
    );
  });
});
