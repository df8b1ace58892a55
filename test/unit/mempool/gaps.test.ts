/**
 * Issue 10, item 4: the pool filled by nonce gaps. A gapped transaction (nonce above the
 * sender's next executable nonce) is queued, not pending: a small allowance per sender and
 * in total, a lifetime, and eviction by fee; an executable transaction always finds room.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBackend } from '../../../src/crypto/verifier.js';
import { DEFAULT_MEMPOOL_OPTIONS, MempoolError, type MempoolErrorCode } from '../../../src/mempool/index.js';
import { address, ETH, funded, GWEI, manualClock, pool, raw, stateOf, transfer } from './helpers.js';

function refusal(fn: () => unknown): MempoolErrorCode {
  try {
    fn();
  } catch (e) {
    if (e instanceof MempoolError) return e.code;
    throw e;
  }
  assert.fail('expected a refusal');
}

describe('Mempool: gapped nonces (queued) against executable ones (pending)', () => {
  it('adversary: ~130 funded senders sending nonces n+1..n+63 do not lock an honest sender out; their gapped txs are bounded and expire', () => {
    // The attack of issue 10 item 4 (131 senders x 63 gapped nonces against maxTxs 8192), at
    // an eighth of the scale to keep the test fast: 17 senders x 63 against maxTxs 1024.
    const attackers = 17;
    const honest = attackers + 1;
    const clock = manualClock();
    const scaled = { maxTxs: 1024, maxQueuedTxs: DEFAULT_MEMPOOL_OPTIONS.maxQueuedTxs / 8 };
    const mempool = pool(funded(honest), scaled, defaultBackend(), clock.now);
    const perSender = new Map<number, number>();
    const refused = new Map<MempoolErrorCode, number>();
    for (let s = 1; s <= attackers; s++) {
      for (let n = 1n; n <= 63n; n++) {
        try {
          const result = mempool.add(raw(s, { nonce: n }));
          assert.equal(result.queued, true, 'a gapped tx is answered as queued');
          perSender.set(s, (perSender.get(s) ?? 0) + 1);
        } catch (e) {
          if (!(e instanceof MempoolError)) throw e;
          refused.set(e.code, (refused.get(e.code) ?? 0) + 1);
        }
      }
    }
    const gapped = mempool.size();
    let honestOutcome: string;
    try {
      const result = mempool.add(raw(honest, { nonce: 0n }));
      honestOutcome = `${result.kind}${result.queued ? ' (queued)' : ''}`;
    } catch (e) {
      honestOutcome = e instanceof MempoolError ? e.code : String(e);
    }
    const figures = `${gapped} gapped txs held, refusals ${JSON.stringify(Object.fromEntries(refused))}`;
    assert.equal(
      honestOutcome,
      'added',
      `the honest executable tx was answered ${honestOutcome}; ${figures}`,
    );

    const o = mempool.options;
    assert.ok(gapped <= o.maxQueuedTxs, `gapped txs bounded in total: ${figures}`);
    for (const [s, count] of perSender)
      assert.ok(count <= o.maxQueuedPerSender, `sender ${s} holds ${count} gapped txs`);
    assert.equal(mempool.metrics().queued, gapped);

    // the lifetime runs out: every gapped tx goes, the executable one stays
    clock.advance(o.queuedLifetimeMs);
    const expired = mempool.expireQueued();
    assert.equal(expired.length, gapped);
    assert.equal(mempool.size(), 1);
    assert.equal(mempool.metrics().queued, 0);
    assert.ok(mempool.get(transfer(honest).hash));
  });

  it('answers a gapped tx as queued, and promotes it to pending when the gap is filled', () => {
    const mempool = pool(funded(1));
    assert.equal(mempool.add(raw(1, { nonce: 2n })).queued, true);
    assert.equal(mempool.add(raw(1, { nonce: 1n })).queued, true);
    assert.equal(mempool.metrics().queued, 2);
    assert.equal(mempool.add(raw(1, { nonce: 0n })).queued, false);
    assert.equal(mempool.metrics().queued, 0);
    assert.equal(mempool.add(raw(1, { nonce: 3n })).queued, false);
    assert.equal(mempool.pendingNonce(address(1)), 4n);
    assert.equal(mempool.selectForBlock().length, 4);
  });

  it('a replacement keeps its class (queued or pending)', () => {
    const mempool = pool(funded(1));
    mempool.add(raw(1, { nonce: 0n }));
    mempool.add(raw(1, { nonce: 2n }));
    const bump = { maxFeePerGas: 4n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
    assert.deepEqual(
      [mempool.add(raw(1, { nonce: 0n, ...bump })), mempool.add(raw(1, { nonce: 2n, ...bump }))].map((r) => [
        r.kind,
        r.queued,
      ]),
      [
        ['replaced', false],
        ['replaced', true],
      ],
    );
    assert.equal(mempool.metrics().queued, 1);
  });

  it('holds at most maxQueuedPerSender gapped txs per sender (SENDER_FULL), executable ones still get in', () => {
    const mempool = pool(funded(1), { maxQueuedPerSender: 2 });
    mempool.add(raw(1, { nonce: 5n }));
    mempool.add(raw(1, { nonce: 6n }));
    assert.equal(
      refusal(() => mempool.add(raw(1, { nonce: 7n }))),
      'SENDER_FULL',
    );
    assert.equal(mempool.add(raw(1, { nonce: 0n })).queued, false);
  });

  it('when the queued share is full, a gapped tx displaces the cheapest gapped one only by paying more', () => {
    const mempool = pool(funded(4), { maxQueuedTxs: 2 });
    const cheap = { maxPriorityFeePerGas: 1n * GWEI };
    mempool.add(raw(1, { nonce: 1n, ...cheap }));
    mempool.add(raw(2, { nonce: 1n, maxPriorityFeePerGas: 2n * GWEI }));
    assert.equal(
      refusal(() => mempool.add(raw(3, { nonce: 1n, ...cheap }))),
      'MEMPOOL_FULL',
    );
    assert.equal(mempool.add(raw(3, { nonce: 1n, maxPriorityFeePerGas: 2n * GWEI })).queued, true);
    assert.equal(
      mempool.get(transfer(1, { nonce: 1n, ...cheap }).hash),
      undefined,
      'the cheapest was displaced',
    );
    assert.equal(mempool.size(), 2);
    assert.equal(mempool.metrics().displaced, 1);
    // an executable tx is not part of the queued share
    assert.equal(mempool.add(raw(4, { nonce: 0n })).queued, false);
    assert.equal(mempool.size(), 3);
  });

  it('an executable tx displaces gapped ones when the pool is full, whatever their fee; a gapped tx never displaces an executable one', () => {
    const mempool = pool(funded(4), { maxTxs: 2 });
    mempool.add(raw(1, { nonce: 1n, maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 40n * GWEI }));
    mempool.add(raw(2, { nonce: 0n }));
    assert.equal(mempool.add(raw(3, { nonce: 0n })).queued, false);
    assert.equal(mempool.metrics().queued, 0);
    assert.equal(mempool.size(), 2);
    const rich = { nonce: 1n, maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 40n * GWEI };
    assert.equal(
      refusal(() => mempool.add(raw(4, rich))),
      'MEMPOOL_FULL',
    );
    assert.equal(
      refusal(() => mempool.add(raw(4, { nonce: 0n }))),
      'MEMPOOL_FULL',
    );
  });

  it('a local (API-acknowledged) gapped tx is never displaced: neither by an executable tx nor by a better-paying gapped one', () => {
    const mempool = pool(funded(5), { maxTxs: 2, maxQueuedTxs: 2 });
    const rich = { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 40n * GWEI };
    // sender 1's nonce 1 was acknowledged here while its nonce 0 was still on its way
    assert.equal(mempool.add(raw(1, { nonce: 1n }), { local: true }).queued, true);
    mempool.add(raw(2, { nonce: 1n })); // gossiped: may give way
    assert.equal(mempool.add(raw(3, { nonce: 0n })).queued, false);
    assert.equal(mempool.get(transfer(2, { nonce: 1n }).hash), undefined, 'the gossiped gapped tx gave way');
    assert.equal(
      refusal(() => mempool.add(raw(4, { nonce: 0n }))),
      'MEMPOOL_FULL',
    );
    assert.equal(
      refusal(() => mempool.add(raw(5, { nonce: 1n, ...rich }))),
      'MEMPOOL_FULL',
    );
    assert.ok(mempool.get(transfer(1, { nonce: 1n }).hash), 'the local gapped tx was displaced');
    // its gap closes: it is executable, and selected in nonce order
    mempool.onCommit([{ hash: transfer(3).hash, from: address(3) }], funded(5));
    assert.equal(mempool.add(raw(1, { nonce: 0n })).queued, false);
    assert.equal(mempool.isQueued(transfer(1, { nonce: 1n }).hash), false);
  });

  it('caps the local gapped share (an API client cannot fill the queued share with transactions nobody may displace); markLocal respects it', () => {
    const mempool = pool(funded(6), { maxLocalQueuedTxs: 2 });
    mempool.add(raw(1, { nonce: 1n }), { local: true });
    mempool.add(raw(2, { nonce: 1n }), { local: true });
    assert.equal(
      refusal(() => mempool.add(raw(3, { nonce: 1n }), { local: true })),
      'MEMPOOL_FULL',
    );
    // gossiped gapped ones are not counted, and an executable local one is not capped
    assert.equal(mempool.add(raw(3, { nonce: 1n })).queued, true);
    assert.equal(mempool.add(raw(4, { nonce: 0n }), { local: true }).queued, false);
    assert.equal(mempool.markLocal(transfer(3, { nonce: 1n }).hash), false, 'over the local gapped cap');
    mempool.add(raw(5, { nonce: 0n }));
    assert.equal(mempool.markLocal(transfer(5).hash), true, 'an executable one can be made local');
    assert.equal(mempool.markLocal(transfer(6).hash), false, 'not in the pool');
  });

  it('makes room by bytes too: an executable tx displaces gapped ones when maxBytes is reached', () => {
    const size = raw(1).length;
    const mempool = pool(funded(3), { maxBytes: 2 * size + 1 });
    mempool.add(raw(1, { nonce: 1n }));
    mempool.add(raw(2, { nonce: 1n }));
    assert.equal(mempool.add(raw(3, { nonce: 0n })).queued, false);
    assert.ok(mempool.bytes() <= 2 * size + 1);
    assert.equal(mempool.metrics().queued, 1);
  });

  it('expires gapped txs queuedLifetimeMs after admission, on commit too; promoted ones never expire', () => {
    const clock = manualClock();
    const lifetime = DEFAULT_MEMPOOL_OPTIONS.queuedLifetimeMs;
    const mempool = pool(funded(3), {}, defaultBackend(), clock.now);
    mempool.add(raw(1, { nonce: 1n }));
    mempool.add(raw(2, { nonce: 2n }));
    clock.advance(lifetime / 2);
    mempool.add(raw(3, { nonce: 1n }));
    mempool.add(raw(1, { nonce: 0n })); // sender 1's gap closes: its nonce 1 is pending now
    clock.advance(lifetime / 2 - 1);
    assert.equal(mempool.expireQueued().length, 0, 'nothing is older than the lifetime yet');
    clock.advance(1);
    // a commit that touches none of them still expires what is due
    const outcome = mempool.onCommit([], stateOf([1, 2, 3].map((i) => [i, { balance: ETH, nonce: 0n }])));
    assert.deepEqual(
      outcome.expired.map((tx) => tx.nonce),
      [2n],
    );
    assert.equal(mempool.size(), 3);
    assert.equal(mempool.metrics().expired, 1);
    clock.advance(lifetime / 2);
    assert.deepEqual(
      mempool.expireQueued().map((tx) => tx.nonce),
      [1n],
    );
    assert.equal(mempool.pendingNonce(address(1)), 2n);
    assert.equal(mempool.size(), 2);
  });

  it('a commit from elsewhere that closes a gap turns queued txs into pending ones', () => {
    const mempool = pool(funded(1));
    mempool.add(raw(1, { nonce: 1n }));
    mempool.add(raw(1, { nonce: 2n }));
    assert.equal(mempool.metrics().queued, 2);
    const foreign = transfer(1, { nonce: 0n, value: 7n });
    mempool.onCommit([{ hash: foreign.hash, from: address(1) }], stateOf([[1, { balance: ETH, nonce: 1n }]]));
    assert.equal(mempool.metrics().queued, 0);
    assert.equal(mempool.selectForBlock({ state: stateOf([[1, { balance: ETH, nonce: 1n }]]) }).length, 2);
  });
});
