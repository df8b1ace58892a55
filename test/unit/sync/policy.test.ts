import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SYNC_OPTIONS, type SyncOptions, SyncPolicy } from '../../../src/sync/index.js';

const OPTS: SyncOptions = {
  ...DEFAULT_SYNC_OPTIONS,
  maxBlocksPerRequest: 10,
  maxInFlightRequests: 3,
  requestTimeoutMs: 1000,
  lagThresholdBlocks: 8,
  joinSlackBlocks: 2,
  peerBackoffMs: 500,
  peerHeadTtlMs: 2000,
};

function policy(peers: string[] = ['a', 'b', 'c']): SyncPolicy {
  const p = new SyncPolicy(OPTS);
  for (const id of peers) p.addPeer(id);
  return p;
}

describe('SyncPolicy', () => {
  it('asks nothing when the target is not above the head', () => {
    const p = policy();
    p.observeCertified(5);
    assert.deepEqual(p.plan(5, 0), []);
  });

  it('splits the missing heights into ranges, one per peer, bounded in flight', () => {
    const p = policy();
    p.observeCertified(100);
    const reqs = p.plan(0, 0);
    assert.deepEqual(
      reqs.map((r) => [r.peer, r.fromHeight, r.count]),
      [
        ['a', 1, 10],
        ['b', 11, 10],
        ['c', 21, 10],
      ],
    );
    assert.equal(p.inFlightCount(), 3);
    assert.deepEqual(p.plan(0, 1), [], 'no slot left');
    p.complete(reqs[0].id);
    const next = p.plan(10, 2);
    assert.deepEqual(
      next.map((r) => [r.fromHeight, r.count]),
      [[31, 10]],
      'ranges in flight are not asked again',
    );
  });

  it('stops a range at the target and skips heights already fetched', () => {
    const p = policy(['a']);
    p.observeCertified(14);
    const reqs = p.plan(0, 0, (h) => h >= 3 && h <= 5);
    assert.deepEqual(
      reqs.map((r) => [r.fromHeight, r.count]),
      [
        [1, 2],
        [6, 9],
      ],
    );
  });

  it('retries a failed range on another peer and backs the failed one off', () => {
    const p = policy(['a', 'b']);
    p.observeCertified(5);
    const [first] = p.plan(0, 0);
    assert.equal(first.peer, 'a');
    p.fail(first.id, 100);
    const [retry] = p.plan(0, 100);
    assert.equal(retry.peer, 'b');
    assert.equal(retry.fromHeight, 1);
    p.fail(retry.id, 200);
    assert.deepEqual(p.plan(0, 300), [], 'both peers back off');
    const [later] = p.plan(0, 700);
    assert.equal(later.peer, 'a', 'a backed off for 500 ms');
  });

  it('expires requests at their deadline', () => {
    const p = policy(['a', 'b']);
    p.observeCertified(5);
    const [req] = p.plan(0, 0);
    assert.deepEqual(p.expire(999), []);
    assert.deepEqual(
      p.expire(1000).map((r) => r.id),
      [req.id],
    );
    assert.equal(p.inFlightCount(), 0);
    assert.equal(p.plan(0, 1000)[0].peer, 'b');
  });

  it('does not ask a peer for heights above the head it reported, until that report is stale', () => {
    const p = policy(['a', 'b']);
    p.observePeerHead('a', 3, 0);
    p.observePeerHead('b', 50, 0);
    p.observeCertified(60);
    const reqs = p.plan(0, 10);
    assert.deepEqual(
      reqs.map((r) => [r.peer, r.fromHeight]),
      [
        ['b', 1],
        ['b', 11],
        ['b', 21],
      ],
    );
    for (const r of reqs) p.fail(r.id, 10);
    assert.deepEqual(
      p.plan(0, 20).map((r) => [r.peer, r.fromHeight]),
      [['a', 1]],
      'b backs off; a is asked only for the range that starts at or below its head',
    );
    const fresh = p.plan(0, 2001).map((r) => r.peer);
    assert.deepEqual(fresh, ['a', 'a'], 'a stale report: a may have more by now');
  });

  it('forgets peers that are gone', () => {
    const p = policy(['a', 'b']);
    p.observeCertified(5);
    p.setPeers(['b', 'c']);
    assert.deepEqual(
      p.plan(0, 0).map((r) => r.peer),
      ['b'],
    );
  });

  it('is behind past the lag threshold of a proven commit, and caught up within the slack of proofs and fresh claims', () => {
    const p = policy();
    p.observeProven(20);
    assert.equal(p.isBehind(11, 0), true);
    assert.equal(p.isBehind(12, 0), false);
    assert.equal(p.isCaughtUp(17, 0), false);
    assert.equal(p.isCaughtUp(18, 0), true);
    p.observePeerHead('b', 30, 0);
    assert.equal(p.isBehind(12, 0), false, 'a claim alone never makes a validator leave consensus');
    assert.equal(p.isBehind(12, 0, true), true, 'an observer counts it in its status');
    assert.equal(p.isCaughtUp(18, 0), false, 'a fresh claim is a fetch target');
    assert.equal(p.isCaughtUp(18, OPTS.peerClaimTtlMs), true, 'claims expire');
  });

  it('a peer that fails a request loses its claim', () => {
    const p = policy(['a']);
    p.observePeerHead('a', 1000, 0);
    assert.equal(p.claimedHead(0), 1000);
    const [req] = p.plan(0, 0);
    p.fail(req.id, 1);
    assert.equal(p.claimedHead(1), 0);
    assert.equal(p.target(1), 0);
  });

  it('asks a peer whose fresh claim is far ahead for the blocks below it, at most once per head TTL', () => {
    const p = policy(['a']);
    p.observeCertified(40);
    p.observePeerHead('a', 100, 0);
    const [proof] = p.planProbes(10, 1);
    assert.deepEqual([proof.fromHeight, proof.count], [93, OPTS.proofSpanBlocks]);
    p.complete(proof.id);
    p.observePeerHead('a', 100, 2);
    assert.deepEqual(p.planProbes(10, 3), [], 'not again before the head TTL');
    p.observeProven(99);
    p.addPeer('b');
    p.observePeerHead('b', 100, 3);
    assert.deepEqual(p.planProbes(10, 4), [], 'nothing left to prove below the claim');
  });

  it('forgets claims, proofs and certified heights above the head when told to', () => {
    const p = policy(['a']);
    p.observeCertified(500);
    p.observeProven(400);
    p.observePeerHead('a', 450, 0);
    p.forgetClaims(10);
    assert.equal(p.target(0), 10);
    assert.equal(p.isBehind(10, 0), false);
    assert.equal(p.shouldProbe(10, 0), false);
  });

  it('is not behind for certified blocks that no peer has committed; it probes instead', () => {
    const p = policy();
    p.observeCertified(40);
    assert.equal(p.isBehind(10, 0), false, 'certified is not committed');
    assert.equal(p.shouldProbe(10, 0), true);
    assert.equal(p.shouldProbe(32, 0), false);
    const probes = p.planProbes(10, 0);
    assert.deepEqual(
      probes.map((r) => [r.peer, r.fromHeight, r.count]),
      [
        ['a', 11, 1],
        ['b', 11, 1],
        ['c', 11, 1],
      ],
    );
    assert.deepEqual(p.planProbes(10, 0), [], 'one probe per peer in flight');
    for (const r of probes) p.complete(r.id);
    p.observePeerHead('a', 10, 0);
    p.observePeerHead('b', 10, 0);
    p.observePeerHead('c', 10, 0);
    assert.equal(p.isBehind(10, 0), false);
    assert.equal(p.isCaughtUp(10, 0), true);
    assert.deepEqual(p.planProbes(10, OPTS.peerHeadTtlMs - 1), [], 'fresh heads are not probed again');
    const stale = p.planProbes(10, OPTS.peerHeadTtlMs);
    assert.equal(stale.length, 3, 'stale heads are');
    for (const r of stale) p.complete(r.id);
    p.observePeerHead('b', 30, OPTS.peerHeadTtlMs);
    assert.equal(p.isBehind(10, 0), false, 'a peer claims committed blocks far ahead: not yet proven');
    assert.deepEqual(
      p
        .planProbes(10, OPTS.peerHeadTtlMs + 1)
        .filter((r) => r.peer === 'b')
        .map((r) => [r.fromHeight, r.count]),
      [[23, 8]],
      'the claim is asked to prove itself',
    );
    p.observeProven(29);
    assert.equal(p.isBehind(10, 0), true, 'a proof of commit far ahead');
  });
  describe('a peer that keeps its connection and never answers', () => {
    const HEDGE_AFTER_MS = OPTS.requestTimeoutMs * OPTS.hedgeAfterTimeoutFraction;

    it('once its request failed, it is asked one request at a time until it answers again', () => {
      const p = policy(['silent']);
      p.observeCertified(100);
      assert.equal(p.plan(0, 0).length, OPTS.maxInFlightRequests, 'never failed: every slot');
      assert.equal(p.expire(OPTS.requestTimeoutMs).length, OPTS.maxInFlightRequests);
      // three failures: backed off 500 * 2^2 ms
      assert.deepEqual(p.plan(0, 2999), []);
      const again = p.plan(0, 3000);
      assert.deepEqual(
        again.map((r) => [r.peer, r.fromHeight, r.count]),
        [['silent', 1, 10]],
        'its head is unknown, so it "may have" every height: still one request only',
      );
      assert.deepEqual(p.plan(0, 3001), []);
      p.complete(again[0].id);
      assert.equal(p.plan(10, 3002).length, OPTS.maxInFlightRequests, 'it answered: every slot again');
    });

    it('the range above the head is asked of another peer once its request is slow, once', () => {
      const p = policy(['a', 'b']);
      p.observeCertified(10);
      // b reported the local head as its own: not eligible for height 1 until that is stale
      p.observePeerHead('b', 0, 0);
      const [slow] = p.plan(0, 0);
      assert.deepEqual([slow.peer, slow.fromHeight, slow.count], ['a', 1, 10]);
      assert.deepEqual(p.plan(0, HEDGE_AFTER_MS), [], 'no other peer may have height 1 yet');
      const [hedge] = p.plan(0, OPTS.peerHeadTtlMs);
      assert.deepEqual(
        [hedge.peer, hedge.fromHeight, hedge.count, hedge.hedgeOf],
        ['b', 1, 10, slow.id],
        "b's report is stale: it is asked the slow range",
      );
      assert.equal(p.inFlightCount(), 2);
      assert.deepEqual(p.plan(0, OPTS.peerHeadTtlMs + 1), [], 'one hedge per slow request');
      p.fail(hedge.id, OPTS.peerHeadTtlMs + 2);
      assert.deepEqual(p.plan(0, OPTS.peerHeadTtlMs + 3), [], 'not hedged again when the hedge fails');
    });

    it('waits hedgeAfterTimeoutFraction of the timeout; the first good answer wins, the late one still completes', () => {
      const p = policy(['a', 'b']);
      p.observeCertified(10);
      const [slow] = p.plan(0, 0);
      assert.equal(slow.peer, 'a');
      assert.deepEqual(p.plan(0, HEDGE_AFTER_MS - 1), []);
      const [hedge] = p.plan(0, HEDGE_AFTER_MS);
      assert.deepEqual([hedge.peer, hedge.fromHeight, hedge.count], ['b', 1, 10]);
      // b served 1..4 only (its byte budget ran out): 5..10 no longer wait for a's answer
      p.complete(hedge.id);
      const rest = p.plan(4, HEDGE_AFTER_MS + 1);
      assert.deepEqual(
        rest.map((r) => [r.peer, r.fromHeight, r.count]),
        [['b', 5, 6]],
      );
      assert.equal(p.inFlightCount(), 2, "a's slow request keeps its slot until it answers or expires");
      assert.equal(p.complete(slow.id)?.id, slow.id, 'its late answer is still taken');
    });

    it('with every peer silent, at most maxInFlightRequests + 1 requests are out and one per failed peer', () => {
      const p = policy(['a', 'b', 'c']);
      p.observeCertified(1000);
      const out = new Map<number, string>();
      const failed = new Set<string>();
      let asked = 0;
      for (let now = 0; now <= 60_000; now += 100) {
        for (const r of p.expire(now)) {
          out.delete(r.id);
          failed.add(r.peer);
        }
        for (const r of p.plan(0, now)) {
          out.set(r.id, r.peer);
          asked++;
        }
        assert.ok(out.size <= OPTS.maxInFlightRequests + 1, `${out.size} out at ${now} ms`);
        for (const peer of failed) {
          const n = [...out.values()].filter((x) => x === peer).length;
          assert.ok(n <= 1, `${n} requests out to ${peer}, which failed before, at ${now} ms`);
        }
      }
      // each peer: one request per timeout at most, fewer as its backoff grows
      assert.ok(asked <= 3 * (60_000 / OPTS.requestTimeoutMs) + OPTS.maxInFlightRequests, `asked ${asked}`);
    });
  });
});
