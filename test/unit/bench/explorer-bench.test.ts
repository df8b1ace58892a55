/**
 * The explorer benchmark's helpers (scripts/bench-explorer/): the SSE parser over chunks
 * split anywhere, the checker of exactly-once in-order delivery, percentiles, and the
 * fixture options it builds its store with (a hot account's exact share, a persistent
 * store reused only when built with the same options).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  BlockDeliveryChecker,
  deliveredExactlyOnceInOrder,
  SseParser,
} from '../../../scripts/bench-explorer/sse.js';
import { percentile, spread } from '../../../scripts/bench-explorer/stats.js';
import { createExplorerStore } from '../../support/explorer-store.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('explorer benchmark helpers', () => {
  it('parses events split at every byte, with CRLF, CR and comments', () => {
    const text =
      'retry: 2000\n\n: keep-alive\n\nid: 7\r\nevent: block\r\ndata: {"a":1}\r\n\r\n' +
      'id: 8\revent: block\rdata: x\rdata:y\r\r' +
      'event: tx\ndata: é\n\n';
    const whole = new SseParser().push(bytes(text));
    const parser = new SseParser();
    const split = [...bytes(text)].flatMap((b) => parser.push(new Uint8Array([b])));
    const expected = [
      { type: 'block', id: '7', data: '{"a":1}' },
      { type: 'block', id: '8', data: 'x\ny' },
      { type: 'tx', id: undefined, data: 'é' },
    ];
    assert.deepEqual(whole, expected);
    assert.deepEqual(split, expected, 'the same events when chunks split lines, CRLFs and characters');
  });

  it('finds missing, repeated and out-of-order blocks, ignoring those outside the range', () => {
    const good = new BlockDeliveryChecker();
    for (const h of [4, 5, 6, 7, 8]) good.record(h);
    const verdict = good.verdict(5, 8);
    assert.equal(deliveredExactlyOnceInOrder(verdict), true);
    assert.deepEqual(verdict, { received: 4, missing: [], duplicates: [], outOfOrder: [], outside: 1 });

    const bad = new BlockDeliveryChecker();
    for (const h of [5, 7, 6, 7, 9]) bad.record(h);
    const worse = bad.verdict(5, 9);
    assert.equal(deliveredExactlyOnceInOrder(worse), false);
    assert.deepEqual(worse, { received: 5, missing: [8], duplicates: [7], outOfOrder: [6], outside: 0 });
  });

  it('takes nearest-rank percentiles and the spread of runs', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  });

  it('builds a store whose hot account takes part in exactly its share, and reuses it only as built', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'bench-store-'));
    const dir = join(parent, 'store');
    const options = { dir, blocks: 10, txsPerBlock: 20, accounts: 6, hotAccountShare: 0.1 };
    try {
      const chain = await createExplorerStore(options);
      const hot = chain.reader.accountTxs(chain.addresses[0], { limit: 100 });
      assert.equal(hot.items.length, 20, 'a tenth of 200 transfers');
      assert.equal(hot.next, null);
      const sent = hot.items.filter((t) => t.from === `0x${Buffer.from(chain.addresses[0]).toString('hex')}`);
      assert.equal(sent.length, 10, 'half of them sent, half received');
      const head = chain.store.head();
      await chain.close();

      const again = await createExplorerStore(options);
      assert.deepEqual(again.store.head(), head, 'reused as built');
      assert.equal(again.txHashes.length, 11);
      // live blocks continue with the right nonces, then make it another store
      const next = await again.commitBlock(5);
      assert.equal(next.height, 11);
      await again.close();

      const rebuilt = await createExplorerStore(options);
      assert.deepEqual(rebuilt.store.head(), head, 'rebuilt: blocks past the build are not reused');
      await rebuilt.close();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
