/**
 * SyncServer, the sync server's budgets apart from any transport: requests per peer,
 * answers at once over all peers and per peer, bytes per peer cutting answers short, and
 * the stats, on a clock the test moves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeSyncRequest,
  SyncError,
  type SyncServe,
  SyncServer,
  type SyncServerOptions,
  type SyncSource,
} from '../../../src/sync/index.js';

const HEAD = 20;
const BLOCK_BYTES = 1000;
/** Heights whose blocks the server read, in order: an answer reads a block only to send it. */
const reads: number[] = [];
const source: SyncSource = {
  headHeight: () => HEAD,
  getBlockBytes: (h) => {
    reads.push(h);
    return h >= 1 && h <= HEAD ? new Uint8Array(BLOCK_BYTES).fill(h) : undefined;
  },
  getCommitQc: (h) => (h >= 1 && h <= HEAD ? new Uint8Array(50).fill(h) : undefined),
};

function serverAt(options: Partial<SyncServerOptions>): { server: SyncServer; clock: { ms: number } } {
  const clock = { ms: 1_000 };
  return { server: new SyncServer(options, { now: () => clock.ms }), clock };
}

function admitted(result: SyncServe | SyncError): SyncServe {
  if (result instanceof SyncError) assert.fail(`refused: ${result.message}`);
  return result;
}

function refusal(result: SyncServe | SyncError): SyncError {
  assert.ok(result instanceof SyncError, 'admitted, expected a refusal');
  assert.equal(result.code, 'UNAVAILABLE');
  return result;
}

/** Admits, answers in full and sends: the frames, and whether the answer was cut short. */
function serveOnce(server: SyncServer, peer: string, fromHeight: number, count: number) {
  const serve = admitted(server.admit(peer));
  const frames = [...serve.answer(source, encodeSyncRequest({ fromHeight, count }))];
  serve.sent();
  return { frames, cutShort: serve.cutShort };
}

describe('SyncServer', () => {
  it('refuses a peer over its request budget, serves other peers meanwhile, and refills with time', () => {
    const { server, clock } = serverAt({ requestsBurst: 3, requestsPerSecond: 2 });
    for (let i = 0; i < 3; i++) serveOnce(server, 'a', 1, 1);
    assert.match(refusal(server.admit('a')).message, /too many sync requests/);
    serveOnce(server, 'b', 1, 1);
    clock.ms += 499;
    refusal(server.admit('a'));
    clock.ms += 1;
    serveOnce(server, 'a', 1, 1);
    assert.deepEqual(server.stats(), { served: 5, cutShort: 0, refused: 2, readTimeouts: 0 });
  });

  it('charges a request that is refused for concurrency, and one that never completes', () => {
    const { server } = serverAt({ requestsBurst: 2, maxConcurrentServesPerPeer: 1 });
    const first = admitted(server.admit('a'));
    refusal(server.admit('a'));
    first.readTimedOut();
    // both arrivals spent the burst: the next is over budget, not merely busy
    assert.match(refusal(server.admit('a')).message, /too many sync requests/);
    assert.deepEqual(server.stats(), { served: 0, cutShort: 0, refused: 2, readTimeouts: 1 });
  });

  it('holds a peer to its share of the serve slots and everyone to the total, until answers release them', () => {
    const { server } = serverAt({ maxConcurrentServes: 3, maxConcurrentServesPerPeer: 2 });
    const a1 = admitted(server.admit('a'));
    const a2 = admitted(server.admit('a'));
    assert.match(refusal(server.admit('a')).message, /busy/);
    const b1 = admitted(server.admit('b'));
    assert.equal(server.serving(), 3);
    // the total is reached: a peer with no answer in progress is refused too
    refusal(server.admit('c'));
    assert.equal(server.serving('c'), 0);
    a1.release();
    assert.deepEqual([server.serving(), server.serving('a')], [2, 1]);
    const c1 = admitted(server.admit('c'));
    // a release after the slot was given back gives nothing back again
    a1.release();
    a1.sent();
    assert.equal(server.serving(), 3);
    refusal(server.admit('b'));
    for (const s of [a2, b1, c1]) s.sent();
    assert.equal(server.serving(), 0);
    assert.deepEqual(server.stats(), { served: 3, cutShort: 0, refused: 3, readTimeouts: 0 });
  });

  it('cuts an answer short once the peer has been sent its bytes, and serves the whole range after the refill', () => {
    const { server, clock } = serverAt({
      servedBurstBytes: 3 * BLOCK_BYTES,
      servedBytesPerSecond: 10 * BLOCK_BYTES,
    });
    reads.length = 0;
    const first = serveOnce(server, 'a', 1, 10);
    // the status, then blocks until the budget is spent: the third block takes it below
    // zero, and the fourth is not even read
    assert.equal(first.frames.length, 1 + 3);
    assert.equal(first.cutShort, true);
    assert.deepEqual(reads, [1, 2, 3]);
    // in debt: the head only, still a valid answer
    const indebted = serveOnce(server, 'a', 4, 10);
    assert.equal(indebted.frames.length, 1);
    assert.equal(indebted.cutShort, true);
    // bytes are per peer
    const other = serveOnce(server, 'b', 1, 2);
    assert.deepEqual([other.frames.length, other.cutShort], [3, false]);
    clock.ms += 1000;
    const refilled = serveOnce(server, 'a', 4, 3);
    assert.deepEqual([refilled.frames.length, refilled.cutShort], [4, false]);
    assert.deepEqual(server.stats(), { served: 4, cutShort: 2, refused: 0, readTimeouts: 0 });
  });

  it('stops at the head and counts only answers sent in full as served', () => {
    const { server } = serverAt({});
    const tail = serveOnce(server, 'a', HEAD - 1, 10);
    assert.equal(tail.frames.length, 1 + 2);
    const failed = admitted(server.admit('a'));
    assert.throws(
      () => [...failed.answer(source, new Uint8Array([0xff, 0xff]))],
      (err: unknown) => err instanceof SyncError && err.code === 'MALFORMED',
    );
    failed.release();
    const abandoned = admitted(server.admit('a'));
    const frames = abandoned.answer(source, encodeSyncRequest({ fromHeight: 1, count: 5 }));
    frames.next();
    abandoned.release();
    assert.equal(server.serving(), 0);
    assert.deepEqual(server.stats(), { served: 1, cutShort: 0, refused: 0, readTimeouts: 0 });
  });
});
