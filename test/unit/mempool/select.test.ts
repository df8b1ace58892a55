import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BlockHeader } from '../../../src/chain/index.js';
import { encodeBlock, encodeHeader } from '../../../src/chain/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { BLOCK_FRAMING_BYTES, type Mempool, MempoolError } from '../../../src/mempool/index.js';
import { AccountState, applyBlock } from '../../../src/state/index.js';
import type { VerifiedTransfer } from '../../../src/tx/index.js';
import {
  address,
  CHAIN_ID,
  DEFAULT_MAX_COST,
  ETH,
  funded,
  GWEI,
  PARAMS,
  pool,
  raw,
  stateOf,
  transfer,
} from './helpers.js';

const PROPOSER = address(999);

/** "sender:nonce" of each selected tx, to read orders at a glance. */
function ids(txs: readonly VerifiedTransfer[]): string[] {
  const senderOf = new Map<string, number>();
  for (let i = 1; i <= 10; i++) senderOf.set(toHex(address(i)), i);
  return txs.map((tx) => `${senderOf.get(toHex(tx.from))}:${tx.nonce}`);
}

function header(parentQcBytes: number): BlockHeader {
  return {
    chainId: CHAIN_ID,
    height: 1_000_000,
    round: 1_000_000,
    parentHash: new Uint8Array(32),
    proposer: PROPOSER,
    timestampMs: 2_000_000_000_000,
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: new Uint8Array(parentQcBytes).fill(7),
  };
}

describe('Mempool.selectForBlock', () => {
  it('orders senders by effective tip (capped by maxFee - baseFee), highest first', () => {
    const mempool = pool(funded(4));
    mempool.add(raw(1, { maxPriorityFeePerGas: 1n * GWEI }));
    mempool.add(raw(2, { maxPriorityFeePerGas: 3n * GWEI, maxFeePerGas: 5n * GWEI }));
    mempool.add(raw(3, { maxPriorityFeePerGas: 2n * GWEI }));
    // A 2.5 gwei tip under a 2.5 gwei cap pays only 1.5 gwei over the 1 gwei base fee.
    mempool.add(raw(4, { maxPriorityFeePerGas: (5n * GWEI) / 2n, maxFeePerGas: (5n * GWEI) / 2n }));
    assert.deepEqual(ids(mempool.selectForBlock()), ['2:0', '3:0', '4:0', '1:0']);
  });

  it('keeps nonce order within a sender and merges senders by the tip of their next tx', () => {
    const mempool = pool(funded(2));
    mempool.add(raw(1, { nonce: 1n, maxPriorityFeePerGas: 2n * GWEI }));
    mempool.add(raw(1, { nonce: 0n, maxPriorityFeePerGas: 0n }));
    mempool.add(raw(2, { nonce: 0n, maxPriorityFeePerGas: 1n * GWEI }));
    mempool.add(raw(2, { nonce: 1n, maxPriorityFeePerGas: 0n }));
    assert.deepEqual(ids(mempool.selectForBlock()), ['2:0', '1:0', '1:1', '2:1']);
  });

  it('breaks tip ties by the lower hash, whatever the insertion order', () => {
    const txs = [1, 2, 3, 4, 5].map((i) => transfer(i));
    const a = pool(funded(5));
    const b = pool(funded(5));
    for (const tx of txs) a.add(tx.raw);
    for (const tx of [...txs].reverse()) b.add(tx.raw);
    const byHash = txs.map((tx) => toHex(tx.hash)).sort();
    assert.deepEqual(
      a.selectForBlock().map((tx) => toHex(tx.hash)),
      byHash,
    );
    assert.deepEqual(
      b.selectForBlock().map((tx) => toHex(tx.hash)),
      byHash,
    );
  });

  it('selects only consecutive nonces from the account nonce: a gap ends the sender', () => {
    const mempool = pool(stateOf([[1, { balance: ETH, nonce: 3n }]]));
    for (const nonce of [3n, 4n, 6n, 7n]) mempool.add(raw(1, { nonce }));
    assert.deepEqual(ids(mempool.selectForBlock()), ['1:3', '1:4']);
    assert.equal(mempool.pendingNonce(address(1)), 5n);
    mempool.add(raw(1, { nonce: 5n }));
    assert.equal(mempool.pendingNonce(address(1)), 8n);
    assert.equal(mempool.selectForBlock().length, 5);
  });

  it('respects maxTxs, keeping the best-paying', () => {
    const mempool = pool(funded(4));
    for (let i = 1; i <= 4; i++) mempool.add(raw(i, { maxPriorityFeePerGas: BigInt(i) * (GWEI / 2n) }));
    assert.deepEqual(ids(mempool.selectForBlock({ maxTxs: 2 })), ['4:0', '3:0']);
    assert.deepEqual(mempool.selectForBlock({ maxTxs: 0 }), []);
  });

  it('respects maxBytes with the header reserve: the encoded block fits and little room is wasted', () => {
    const mempool = pool(funded(10));
    for (let i = 1; i <= 10; i++) mempool.add(raw(i));
    const h = header(300);
    const reservedBytes = encodeHeader(h).length;
    // These ten transfers encode to the same length; each takes it + a 2-byte RLP prefix.
    const itemBytes = raw(1).length + 2;
    for (let i = 2; i <= 10; i++) assert.equal(raw(i).length + 2, itemBytes);
    const maxBytes = reservedBytes + BLOCK_FRAMING_BYTES + 4 * itemBytes + Math.floor(itemBytes / 2);
    const selected = mempool.selectForBlock({ maxBytes, reservedBytes });
    assert.equal(selected.length, 4);
    const size = encodeBlock({ header: h, transactions: selected.map((tx) => tx.raw) }).length;
    assert.ok(size <= maxBytes, `${size} > ${maxBytes}`);
    // The default reserve comes from the options; nothing fits when the reserve takes it all.
    assert.deepEqual(mempool.selectForBlock({ maxBytes: 1024 }), []);
    assert.equal(
      mempool.selectForBlock({ maxBytes: 1024, reservedBytes: 0 }).length,
      Math.floor((1024 - BLOCK_FRAMING_BYTES) / itemBytes),
    );
  });

  it('skips excluded hashes (txs of uncommitted ancestors) and stops that sender there', () => {
    const mempool = pool(funded(2));
    const a0 = mempool.add(raw(1, { nonce: 0n })).tx;
    mempool.add(raw(1, { nonce: 1n }));
    mempool.add(raw(2, { nonce: 0n }));
    assert.deepEqual(ids(mempool.selectForBlock({ exclude: new Set([toHex(a0.hash)]) })), ['2:0']);
  });

  it('builds on the speculative state of an uncommitted parent', () => {
    const committed = funded(2);
    const mempool = pool(committed);
    for (const nonce of [0n, 1n, 2n]) mempool.add(raw(1, { nonce }));
    mempool.add(raw(2, { nonce: 0n }));
    const first = mempool.selectForBlock({ maxTxs: 2 });
    const parent = applyBlock(committed, { proposer: PROPOSER, transactions: first }, PARAMS).state;
    const second = mempool.selectForBlock({
      state: parent,
      exclude: new Set(first.map((tx) => toHex(tx.hash))),
    });
    assert.equal(first.length + second.length, 4);
    assert.equal(new Set([...first, ...second]).size, 4);
    applyBlock(parent, { proposer: PROPOSER, transactions: second }, PARAMS);
  });

  it('stops a sender whose speculative balance no longer covers its next tx', () => {
    const mempool = pool(stateOf([[1, { balance: 3n * DEFAULT_MAX_COST, nonce: 0n }]]));
    for (const nonce of [0n, 1n, 2n]) mempool.add(raw(1, { nonce }));
    const poorer = stateOf([[1, { balance: 2n * DEFAULT_MAX_COST, nonce: 0n }]]);
    assert.deepEqual(ids(mempool.selectForBlock({ state: poorer })), ['1:0', '1:1']);
  });
});

describe('Mempool.onCommit', () => {
  it('removes included txs, remembers them and advances pendingNonce from the new state', () => {
    const committed = funded(2);
    const mempool = pool(committed);
    for (const nonce of [0n, 1n]) mempool.add(raw(1, { nonce }));
    mempool.add(raw(2));
    const block = mempool.selectForBlock({ maxTxs: 2 });
    const next = applyBlock(committed, { proposer: PROPOSER, transactions: block }, PARAMS).state;
    const outcome = mempool.onCommit(block, next);
    assert.equal(outcome.included, 2);
    assert.deepEqual(outcome.evicted, []);
    assert.equal(mempool.size(), 1);
    assert.equal(mempool.bytes(), raw(1).length);
    for (const tx of block) assert.equal(mempool.get(tx.hash), undefined);
    assert.deepEqual(ids(mempool.selectForBlock()), ['1:1']);
    assert.equal(mempool.pendingNonce(address(1)), 2n);
    assert.equal(mempool.pendingNonce(address(2)), 1n);
    assert.equal(mempool.metrics().included, 2);
  });

  it('drops txs whose nonce another committed tx used, and the tail the new balance cannot pay', () => {
    const mempool = pool(stateOf([[1, { balance: 3n * DEFAULT_MAX_COST, nonce: 0n }]]));
    const pending = [0n, 1n, 2n].map((nonce) => mempool.add(raw(1, { nonce })).tx);
    // Another node's tx for nonce 0 was committed instead, and it spent more.
    const foreign = transfer(1, { nonce: 0n, value: 12345n });
    const after = stateOf([[1, { balance: (3n * DEFAULT_MAX_COST) / 2n, nonce: 1n }]]);
    const outcome = mempool.onCommit([{ hash: foreign.hash, from: address(1) }], after);
    assert.equal(outcome.included, 0);
    assert.deepEqual(
      outcome.evicted.map((tx) => tx.nonce),
      [0n, 2n],
    );
    assert.equal(mempool.get(pending[1].hash), pending[1]);
    assert.equal(mempool.size(), 1);
    assert.equal(mempool.metrics().evicted, 2);
    assert.equal(mempool.pendingNonce(address(1)), 2n);
  });

  it('recheckAll revalidates every sender, e.g. after sync', () => {
    const mempool = pool(funded(2));
    mempool.add(raw(1));
    mempool.add(raw(2));
    const evicted = mempool.recheckAll(stateOf([[1, { balance: ETH, nonce: 1n }]]));
    // Sender 1's nonce moved past the tx; sender 2 no longer exists, so cannot pay.
    assert.equal(evicted.length, 2);
    assert.equal(mempool.size(), 0);
    assert.equal(mempool.metrics().senders, 0);
  });
});

/**
 * The queued share as the pool counts it is exactly the held txs at or past their sender's
 * pending nonce (behind a gap), and within its bounds.
 */
function checkQueued(mempool: Mempool, seen: readonly VerifiedTransfer[]): void {
  const held = seen.filter((tx) => mempool.get(tx.hash) === tx);
  const queued = held.filter((tx) => tx.nonce >= mempool.pendingNonce(tx.from));
  for (const tx of held) assert.equal(mempool.isQueued(tx.hash), queued.includes(tx));
  assert.equal(mempool.metrics().queued, queued.length);
  assert.ok(queued.length <= mempool.options.maxQueuedTxs);
  assert.equal(mempool.size(), held.length);
}

/** A random pool workload: a few senders with small balances, so funds, gaps and replacements all occur. */
const workload = fc.record({
  accounts: fc.array(
    fc.record({
      balance: fc.oneof(
        { arbitrary: fc.constant(0n), weight: 1 },
        { arbitrary: fc.bigInt({ min: 4n * DEFAULT_MAX_COST, max: 40n * DEFAULT_MAX_COST }), weight: 4 },
      ),
      nonce: fc.bigInt({ min: 0n, max: 3n }),
    }),
    { minLength: 4, maxLength: 4 },
  ),
  txs: fc.array(
    fc.record({
      sender: fc.integer({ min: 1, max: 4 }),
      /** Relative to the account's nonce; -1 is a stale nonce. */
      nonceOffset: fc.constantFrom(-1n, 0n, 0n, 1n, 1n, 2n, 2n, 3n, 5n),
      tip: fc.bigInt({ min: 0n, max: 4n }),
      maxFee: fc.bigInt({ min: 1n, max: 6n }),
      value: fc.constantFrom(0n, 1n, DEFAULT_MAX_COST),
      to: fc.integer({ min: 1, max: 5 }),
    }),
    { minLength: 4, maxLength: 24 },
  ),
  maxTxs: fc.integer({ min: 1, max: 24 }),
  txBudget: fc.integer({ min: 0, max: 3000 }),
});

describe('Mempool: property', () => {
  const stats: Record<string, number> = {};
  const tally = (key: string, n: number): void => {
    stats[key] = (stats[key] ?? 0) + n;
  };
  it('every selected block, and a child built on it before commit, applies cleanly with applyBlock', () => {
    fc.assert(
      fc.property(workload, ({ accounts, txs, maxTxs, txBudget }) => {
        const committed = AccountState.fromEntries(accounts.map((a, k) => [address(k + 1), a]));
        // small queued shares, so that gapped txs are displaced and refused too
        const mempool = pool(committed, { maxTxs: 12, maxQueuedTxs: 3, maxQueuedPerSender: 2 });
        const seen: VerifiedTransfer[] = [];
        for (const t of txs) {
          const tip = t.tip > t.maxFee ? t.maxFee : t.tip;
          const nonce = accounts[t.sender - 1].nonce + t.nonceOffset;
          if (nonce < 0n) continue;
          try {
            const result = mempool.add(
              raw(t.sender, {
                nonce,
                maxPriorityFeePerGas: tip * (GWEI / 2n),
                maxFeePerGas: t.maxFee * GWEI,
                value: t.value,
                to: t.to,
              }),
            );
            seen.push(result.tx);
            assert.equal(result.queued, mempool.isQueued(result.tx.hash));
          } catch (e) {
            if (!(e instanceof MempoolError)) throw e;
          }
        }
        checkQueued(mempool, seen);
        const h = header(250);
        const reservedBytes = encodeHeader(h).length;
        const maxBytes = reservedBytes + BLOCK_FRAMING_BYTES + txBudget;
        const first = mempool.selectForBlock({ maxTxs, maxBytes, reservedBytes });
        assert.ok(first.length <= maxTxs);
        assert.ok(encodeBlock({ header: h, transactions: first.map((tx) => tx.raw) }).length <= maxBytes);
        const parent = applyBlock(committed, { proposer: PROPOSER, transactions: first }, PARAMS).state;

        // The next leader builds on the uncommitted parent.
        const exclude = new Set(first.map((tx) => toHex(tx.hash)));
        const second = mempool.selectForBlock({ state: parent, exclude });
        for (const tx of second) assert.ok(!exclude.has(toHex(tx.hash)));
        applyBlock(parent, { proposer: PROPOSER, transactions: second }, PARAMS);

        // The parent commits: what is left still fills a valid block on the new state.
        mempool.onCommit(first, parent);
        checkQueued(mempool, seen);
        const third = mempool.selectForBlock();
        applyBlock(parent, { proposer: PROPOSER, transactions: third }, PARAMS);
        // With no limits, the fresh selection is exactly what the speculative one was.
        assert.deepEqual(
          third.map((tx) => toHex(tx.hash)),
          second.map((tx) => toHex(tx.hash)),
        );
        const m = mempool.metrics();
        assert.equal(
          mempool.size(),
          m.admitted - m.replaced - m.included - m.evicted - m.displaced - m.expired,
        );
        tally('displaced', m.displaced);
        tally('first', first.length);
        tally('second', second.length);
        for (const [code, n] of Object.entries(m.rejected)) tally(code, n ?? 0);
      }),
      { seed: 0x4d505f31, numRuns: 100 },
    );
    // The workload is not vacuous: blocks and their children carry transactions, and the
    // funds, nonce and replacement rules all refuse some.
    assert.ok(stats.first > 100 && stats.second > 50 && stats.displaced > 0, JSON.stringify(stats));
    for (const code of ['INSUFFICIENT_FUNDS', 'NONCE_TOO_LOW', 'REPLACEMENT_UNDERPRICED'])
      assert.ok(stats[code] > 0, `${code} never occurred: ${JSON.stringify(stats)}`);
  });
});
