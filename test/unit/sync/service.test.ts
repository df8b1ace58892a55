import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeBlock, hashHeader } from '../../../src/chain/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import {
  BlockSync,
  DEFAULT_SYNC_OPTIONS,
  decodeSyncRequest,
  encodeSyncItem,
  encodeSyncRequest,
  encodeSyncStatus,
  type SyncChain,
  type SyncNetwork,
  type SyncOptions,
  serveSyncRequest,
} from '../../../src/sync/index.js';
import {
  baseOf,
  CTX,
  certifiedItems,
  chainOf,
  commitItems,
  openGenesisStore,
  signQc,
  sourceOf,
  type TestStore,
} from './helpers.js';

const LENGTH = 40;

/** A logger that keeps every line (a failing assertion prints them). */
function recorder(lines: string[]) {
  const keep = (level: string) => (fields: object, message: string) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** Lets queued promise callbacks (the fake network's answers) run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('BlockSync', () => {
  let server: TestStore;
  const clients: TestStore[] = [];

  before(async () => {
    server = await openGenesisStore();
    await commitItems(server.store, certifiedItems(baseOf(server.store).view, LENGTH));
  });
  after(async () => {
    await server.close();
    for (const c of clients) await c.close();
  });

  async function client(): Promise<TestStore> {
    const c = await openGenesisStore();
    clients.push(c);
    return c;
  }

  function network(
    peers: Record<string, 'good' | 'forger' | 'silent'>,
    penalized: string[],
    asked: string[],
  ): SyncNetwork {
    const source = sourceOf(server.store);
    return {
      peers: () => Object.keys(peers),
      penalize: (p) => penalized.push(p),
      async request(peer, bytes) {
        asked.push(peer);
        const behaviour = peers[peer];
        if (behaviour === 'silent') throw new Error('stream reset');
        const frames = serveSyncRequest(source, bytes);
        if (behaviour === 'forger') {
          // same blocks, but the QC of the first one is the QC of another block
          const req = decodeSyncRequest(bytes);
          const b = server.store.getBlock(req.fromHeight)!;
          frames[1] = encodeSyncItem(encodeBlock(b), server.store.getCommitQc(req.fromHeight + 1)!);
        }
        return frames;
      },
    };
  }

  function clockAt(t: { now: number }) {
    return { nowMs: () => t.now, setInterval: () => ({ cancel() {} }) };
  }

  /** A validator's BlockSync on `chain` and `network`, its clock `t`, its mode changes in `changes`. */
  function validatorSync(
    chain: SyncChain,
    network: SyncNetwork,
    t: { now: number },
    changes: boolean[],
    options: Partial<SyncOptions>,
  ): BlockSync {
    return new BlockSync(
      {
        mode: 'validator',
        chain,
        network,
        clock: clockAt(t),
        ctx: CTX,
        onSyncingChange: (s) => changes.push(s),
      },
      options,
    );
  }

  it('an observer follows the chain to the served head, then reports caught up', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const penalized: string[] = [];
    const t = { now: 0 };
    const changes: boolean[] = [];
    const logged: string[] = [];
    const sync = new BlockSync(
      {
        mode: 'observer',
        chain,
        network: network({ p1: 'good', p2: 'good' }, penalized, []),
        clock: clockAt(t),
        ctx: CTX,
        logger: recorder(logged),
        onSyncingChange: (s) => changes.push(s),
      },
      { maxBlocksPerRequest: 8, maxInFlightRequests: 2, lagThresholdBlocks: 8, joinSlackBlocks: 2 },
    );
    sync.start();
    sync.observeCertified(LENGTH);
    for (let i = 0; i < 20 && chain.tip().header.height < LENGTH - 1; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    await Promise.all(chain.writes);
    // the server's head (40) has no commit proof in any range; 1..39 do
    assert.equal(
      c.store.head().height,
      LENGTH - 1,
      `store head ${c.store.head().height} (tip ${chain.tip().header.height}, ${JSON.stringify(sync.metrics)}; ` +
        `log:\n${logged.join('\n')})`,
    );
    assert.equal(toHex(c.store.head().hash), toHex(hashAt(LENGTH - 1)));
    assert.equal(toHex(c.store.getCommitQc(10)!), toHex(server.store.getCommitQc(10)!));
    assert.equal(sync.syncing, false);
    assert.deepEqual(changes, [true, false]);
    assert.deepEqual(penalized, []);
    sync.stop();
  });

  it('an observer that hears of no new height (no gossiped proposal) finds the head by probing its peers', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const t = { now: 0 };
    const asked: string[] = [];
    const penalized: string[] = [];
    const logged: string[] = [];
    const sync = new BlockSync(
      {
        mode: 'observer',
        chain,
        network: network({ p1: 'good', p2: 'good' }, penalized, asked),
        clock: clockAt(t),
        ctx: CTX,
        logger: recorder(logged),
      },
      { maxBlocksPerRequest: 8, maxInFlightRequests: 2, probeIntervalMs: 2_000 },
    );
    sync.start();
    // no observeCertified: its gossip brings nothing
    for (let i = 0; i < 60 && chain.tip().header.height < LENGTH - 1; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    await Promise.all(chain.writes);
    assert.ok(asked.length > 0, 'never asked a peer');
    assert.equal(
      c.store.head().height,
      LENGTH - 1,
      `stuck at ${c.store.head().height} (tip ${chain.tip().header.height}, target ${sync.target}, ` +
        `proven ${sync.proven}, ${JSON.stringify(sync.metrics)}; asked ${asked.join(',')}; ` +
        `penalized [${penalized.join(',')}]; log:\n${logged.join('\n')})`,
    );
    assert.deepEqual(penalized, []);
    sync.stop();
  });

  it('an observer holding the block it last heard of, unproven, finds the blocks committed since by probing', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const t = { now: 0 };
    // the network's committed head as its servers show it: 20, then 39 later
    const served = { head: 20 };
    const source = sourceOf(server.store);
    const sync = new BlockSync(
      {
        mode: 'observer',
        chain,
        network: {
          peers: () => ['p1', 'p2'],
          penalize: () => assert.fail('nobody misbehaved'),
          async request(_peer, bytes) {
            const req = decodeSyncRequest(bytes);
            const upTo = Math.min(served.head, req.fromHeight + req.count - 1);
            const frames = [encodeSyncStatus(served.head)];
            for (let h = req.fromHeight; h <= upTo; h++)
              frames.push(encodeSyncItem(source.getBlockBytes(h)!, source.getCommitQc(h)!));
            return frames;
          },
        },
        clock: clockAt(t),
        ctx: CTX,
      },
      { maxBlocksPerRequest: 8, maxInFlightRequests: 2, probeIntervalMs: 2_000, peerClaimTtlMs: 1_000 },
    );
    sync.start();
    sync.observeCertified(20); // the last proposal its gossip brings
    const run = async (ticks: number) => {
      for (let i = 0; i < ticks; i++) {
        t.now += 100;
        sync.tick();
        await settle();
      }
      await Promise.all(chain.writes);
    };
    await run(50);
    assert.equal(c.store.head().height, 19, 'block 20 waits for its certified child');
    served.head = 39;
    await run(100);
    assert.equal(c.store.head().height, 38, `stuck at ${c.store.head().height}`);
    sync.stop();
  });

  function hashAt(height: number): Uint8Array {
    // the block id of the server's block at `height` is the parentHash of the next one
    return server.store.getBlock(height + 1)!.header.parentHash;
  }

  it('a validator turns to sync when far behind, drops a forged response, retries elsewhere', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const penalized: string[] = [];
    const asked: string[] = [];
    const t = { now: 0 };
    const changes: boolean[] = [];
    const sync = validatorSync(
      chain,
      network({ a_forger: 'forger', b_silent: 'silent', c_good: 'good' }, penalized, asked),
      t,
      changes,
      { maxBlocksPerRequest: 16, maxInFlightRequests: 1, lagThresholdBlocks: 8, joinSlackBlocks: 2 },
    );
    sync.start();
    sync.observeCertified(5);
    assert.equal(sync.syncing, false, 'a few blocks behind: consensus catches up by itself');
    sync.tick();
    await settle();
    assert.equal(chain.tip().header.height, 0, 'a validator in consensus does not fetch, it only probes');
    assert.ok(asked.length <= 1, `one probe in flight: ${asked}`);
    sync.observeCertified(LENGTH);
    assert.equal(sync.syncing, false, 'certified far ahead: it asks first whether that is committed');
    // one probe in flight at a time: the forger and the silent peer fail theirs first
    for (let i = 0; i < 10 && changes.length === 0; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    assert.equal(changes[0], true, 'a peer showed committed blocks far ahead');
    for (let i = 0; i < 40 && chain.tip().header.height < LENGTH - 1; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    await Promise.all(chain.writes);
    assert.equal(c.store.head().height, LENGTH - 1);
    assert.equal(toHex(c.store.head().hash), toHex(hashAt(LENGTH - 1)));
    assert.ok(asked.includes('a_forger') && asked.includes('b_silent'));
    assert.ok(penalized.length >= 1 && penalized.every((p) => p === 'a_forger'), `penalized ${penalized}`);
    assert.ok(sync.metrics.badResponses >= 1);
    assert.deepEqual(changes, [true, false]);
    sync.stop();
  });

  it('a validator stays in consensus when blocks are certified far ahead but no peer has committed them', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const t = { now: 0 };
    const changes: boolean[] = [];
    const asked: Array<{ from: number; count: number }> = [];
    // every peer's committed head is the client's (genesis): the certified chain above
    // it is not committed anywhere, e.g. rounds that certify but never in a row
    const sync = validatorSync(
      chain,
      {
        peers: () => ['p1', 'p2', 'p3'],
        penalize: () => assert.fail('nobody misbehaved'),
        async request(_peer, bytes) {
          const req = decodeSyncRequest(bytes);
          asked.push({ from: req.fromHeight, count: req.count });
          return [encodeSyncStatus(0)];
        },
      },
      t,
      changes,
      { lagThresholdBlocks: 8, joinSlackBlocks: 2, peerHeadTtlMs: 500 },
    );
    sync.start();
    sync.observeCertified(LENGTH);
    for (let i = 0; i < 20; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    assert.equal(sync.syncing, false);
    assert.deepEqual(changes, [], 'never left consensus');
    assert.ok(asked.length >= 3, `probed ${asked.length} times`);
    assert.ok(
      asked.every((a) => a.from === 1 && a.count === 1),
      'probes ask for one block',
    );
    // 2 s with a 500 ms head TTL: each of 3 peers is probed about every 500 ms, not every tick
    assert.ok(asked.length <= 3 * 5, `probed ${asked.length} times in 2 s`);
    sync.stop();
  });

  it('a peer that claims a head it does not serve is taken at what it served', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const changes: boolean[] = [];
    const t = { now: 0 };
    const sync = validatorSync(
      chain,
      {
        peers: () => ['liar'],
        penalize: () => {},
        request: async () => [encodeSyncStatus(1000)],
      },
      t,
      changes,
      { lagThresholdBlocks: 8, joinSlackBlocks: 2 },
    );
    sync.start();
    sync.observeCertified(LENGTH);
    for (let i = 0; i < 10; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    assert.deepEqual(changes, [], 'a claim with no blocks behind it does not take it out of consensus');
    sync.stop();
  });

  it('ignores a response whose status claims a head but serves wrong heights', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const penalized: string[] = [];
    const sync = new BlockSync(
      {
        mode: 'observer',
        chain,
        network: {
          peers: () => ['x'],
          penalize: (p) => penalized.push(p),
          request: async () => [
            encodeSyncStatus(40),
            encodeSyncItem(encodeBlock(server.store.getBlock(7)!), server.store.getCommitQc(7)!),
          ],
        },
        clock: clockAt({ now: 0 }),
        ctx: CTX,
      },
      {},
    );
    sync.start();
    sync.observeCertified(40);
    sync.tick();
    await settle();
    assert.equal(chain.tip().header.height, 0);
    assert.ok(penalized.length >= 1 && penalized.every((p) => p === 'x'));
    assert.equal(sync.metrics.appliedBlocks, 0);
    sync.stop();
  });

  describe('a Byzantine sync server (docs/PROTOCOL.md, Threats: halt through block sync)', () => {
    const FAR = 2 ** 40;

    /** Answers probes with a far head and one genuine certified block `times` times, then nothing. */
    function liar(times: number) {
      let answered = 0;
      return async (bytes: Uint8Array) => {
        if (answered++ >= times) throw new Error('stream reset');
        const req = decodeSyncRequest(bytes);
        const block = server.store.getBlock(Math.min(req.fromHeight, LENGTH));
        if (!block) return [encodeSyncStatus(FAR)];
        return [
          encodeSyncStatus(FAR),
          encodeSyncItem(encodeBlock(block), server.store.getCommitQc(block.header.height)!),
        ];
      };
    }

    async function runFor(sync: BlockSync, t: { now: number }, ms: number, until = () => false) {
      for (let spent = 0; spent < ms && !until(); spent += 100) {
        t.now += 100;
        sync.tick();
        await settle();
      }
    }

    it('a claimed head far ahead, backed by one genuine block, never takes a validator out of consensus', async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const changes: boolean[] = [];
      const t = { now: 0 };
      const lie = liar(5);
      const sync = validatorSync(
        chain,
        {
          peers: () => ['byzantine', 'honest1', 'honest2'],
          penalize: () => {},
          // the honest peers are where this validator is: nothing is committed above it
          request: async (peer, bytes) => (peer === 'byzantine' ? lie(bytes) : [encodeSyncStatus(0)]),
        },
        t,
        changes,
        { lagThresholdBlocks: 8, joinSlackBlocks: 2 },
      );
      sync.start();
      // what an unbounded gate let through: a signed proposal at height 2^40
      sync.observeCertified(FAR - 1);
      await runFor(sync, t, 30_000);
      assert.deepEqual(changes, [], 'never left consensus');
      assert.equal(sync.proven, 0);
      assert.ok(sync.target < FAR, 'the lie is no longer a target once the liar fails to serve it');
      sync.stop();
    });

    it("a block holding more transactions than the chain's limit is refused before it is decoded", async () => {
      const c = await client();
      const penalized: string[] = [];
      const bad: Array<{ code?: string; err?: string }> = [];
      const sync = new BlockSync(
        {
          mode: 'observer',
          chain: chainOf(c.store),
          network: { peers: () => [], penalize: (p) => penalized.push(p), request: async () => [] },
          clock: clockAt({ now: 0 }),
          ctx: CTX,
          logger: { info() {}, debug() {}, warn: (o) => bad.push(o as { code?: string; err?: string }) },
        },
        { maxBlocksPerRequest: 32 },
      );
      // block 1 as served, with one transaction more than the chain allows: what a peer
      // that wants the syncing node to decode 100,000 of them per block sends
      const block = server.store.getBlock(1)!;
      const tooMany = Array.from({ length: CTX.limits.maxBlockTxs + 1 }, () => Uint8Array.of(1));
      const frames = [
        encodeSyncStatus(LENGTH),
        encodeSyncItem(encodeBlock({ ...block, transactions: tooMany }), server.store.getCommitQc(1)!),
      ];
      sync.onResponse({ id: 1, peer: 'flooder', fromHeight: 1, count: 1, deadlineMs: 0 }, frames);
      assert.deepEqual(penalized, ['flooder']);
      assert.equal(bad.length, 1);
      assert.equal(bad[0].code, 'MALFORMED', `refused while decoding, not later: ${JSON.stringify(bad[0])}`);
      assert.match(bad[0].err ?? '', /block does not decode/);
    });

    it('a certified block on an abandoned branch breaks the link between two responses: the run below still applies', async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const penalized: string[] = [];
      const sync = new BlockSync(
        {
          mode: 'observer',
          chain,
          network: { peers: () => [], penalize: (p) => penalized.push(p), request: async () => [] },
          clock: clockAt({ now: 0 }),
          ctx: CTX,
        },
        { maxBlocksPerRequest: 32 },
      );
      sync.start();
      sync.observeCertified(LENGTH);
      const source = sourceOf(server.store);
      const served = (from: number, count: number) =>
        serveSyncRequest(source, encodeSyncRequest({ fromHeight: from, count }));
      // block 20' : a sibling of block 20, certified in a later round, that nothing extends
      const b19 = server.store.getBlock(19)!;
      const abandoned = {
        ...server.store.getBlock(20)!,
        header: { ...server.store.getBlock(20)!.header, round: b19.header.round + 5 },
      };
      const abandonedId = hashHeader(abandoned.header);
      const fromA = served(1, 20);
      fromA[20] = encodeSyncItem(encodeBlock(abandoned), signQc(abandoned.header.round, abandonedId));
      // the honest continuation 21..40 arrives first, then 1..19 with the abandoned 20'
      sync.onResponse({ id: 1, peer: 'b', fromHeight: 21, count: 20, deadlineMs: 0 }, served(21, 20));
      sync.onResponse({ id: 2, peer: 'a', fromHeight: 1, count: 20, deadlineMs: 0 }, fromA);
      await Promise.all(chain.writes);
      assert.ok(c.store.head().height >= 18, `applied up to ${c.store.head().height}`);
      assert.deepEqual(penalized, [], 'nobody is blamed for a link broken between two responses');
      sync.stop();
    });

    it('a claim refuted by an empty answer is forgotten, and the liar is probed at the background pace', async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const changes: boolean[] = [];
      const t = { now: 0 };
      const asked: Array<{ from: number; count: number }> = [];
      const sync = validatorSync(
        chain,
        {
          peers: () => ['liar'],
          penalize: () => {},
          // a genuine block with every one-block probe, nothing when asked to prove the claim
          async request(_peer, bytes) {
            const req = decodeSyncRequest(bytes);
            asked.push({ from: req.fromHeight, count: req.count });
            if (req.count > 1) return [encodeSyncStatus(FAR)];
            const block = server.store.getBlock(req.fromHeight)!;
            return [
              encodeSyncStatus(FAR),
              encodeSyncItem(encodeBlock(block), server.store.getCommitQc(block.header.height)!),
            ];
          },
        },
        t,
        changes,
        { lagThresholdBlocks: 8, probeIntervalMs: 2_000, peerHeadTtlMs: 500 },
      );
      sync.start();
      await runFor(sync, t, 10_000);
      assert.deepEqual(changes, []);
      assert.equal(sync.target, 0, 'the refuted claim is not a target');
      // each background probe (every 2 s) costs one probe and one proof request, no more
      assert.ok(asked.length <= 2 * 6, `asked ${asked.length} times in 10 s: ${JSON.stringify(asked)}`);
      sync.stop();
    });

    it('a validator behind a proven commit syncs from an honest peer past a liar, then rejoins consensus', async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const changes: boolean[] = [];
      const t = { now: 0 };
      const honest = network({ honest: 'good' }, [], []);
      const lie = liar(Number.POSITIVE_INFINITY);
      const sync = validatorSync(
        chain,
        {
          peers: () => ['byzantine', 'honest'],
          penalize: () => {},
          request: async (peer, bytes, ms) =>
            peer === 'byzantine' ? lie(bytes) : honest.request(peer, bytes, ms),
        },
        t,
        changes,
        { lagThresholdBlocks: 8, joinSlackBlocks: 2 },
      );
      sync.start();
      sync.observeCertified(LENGTH);
      await runFor(sync, t, 20_000, () => changes.length >= 2);
      await Promise.all(chain.writes);
      assert.deepEqual(changes, [true, false], 'left consensus on a proof, came back once caught up');
      assert.equal(c.store.head().height, LENGTH - 1);
      sync.stop();
    });

    it('a validator whose sync makes no progress returns to consensus and forgets the chase', async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const changes: boolean[] = [];
      const t = { now: 0 };
      // a genuine proof of commit far ahead, then silence: nobody serves the blocks
      let served = 0;
      const source = sourceOf(server.store);
      const sync = validatorSync(
        chain,
        {
          peers: () => ['withholder'],
          penalize: () => {},
          async request(_peer, bytes) {
            const req = decodeSyncRequest(bytes);
            if (req.fromHeight < 20 || served++ > 0) throw new Error('stream reset');
            return serveSyncRequest(source, bytes);
          },
        },
        t,
        changes,
        { lagThresholdBlocks: 8, joinSlackBlocks: 2, syncStallMs: 3_000, peerBackoffMs: 100 },
      );
      sync.start();
      sync.observeCertified(LENGTH);
      // the withholder claims its head only through a proof request: seed its claim
      sync.onResponse({ id: 0, peer: 'withholder', fromHeight: 1, count: 0, deadlineMs: 0 }, [
        encodeSyncStatus(LENGTH),
      ]);
      await runFor(sync, t, 2_000, () => changes.length >= 1);
      assert.deepEqual(changes, [true], 'a genuine proof far ahead starts sync');
      const left = t.now;
      await runFor(sync, t, 10_000, () => changes.length >= 2);
      assert.deepEqual(changes, [true, false]);
      assert.ok(t.now - left >= 3_000 && t.now - left <= 3_500, `back in consensus after ${t.now - left} ms`);
      assert.equal(sync.proven, 0, 'the proof it could not follow is forgotten');
      sync.stop();
    });
  });

  for (const mode of ['observer', 'validator'] as const) {
    it(`${mode === 'observer' ? 'an' : 'a'} ${mode} does not wait a whole request timeout on a peer that keeps its connection and never answers`, async () => {
      const c = await client();
      const chain = chainOf(c.store);
      const t = { now: 0 };
      const changes: boolean[] = [];
      const logged: string[] = [];
      const good = network({ b_live: 'good' }, [], []);
      // the silent peer sorts first, so it is asked for the range above the head
      const held: Array<{ bytes: Uint8Array; answer: (frames: Uint8Array[]) => void }> = [];
      const penalized: string[] = [];
      const requestTimeoutMs = 5_000;
      const sync = new BlockSync(
        {
          mode,
          chain,
          network: {
            peers: () => ['a_silent', 'b_live'],
            penalize: (p) => penalized.push(p),
            request: (peer, bytes, ms) =>
              peer === 'a_silent'
                ? new Promise((answer) => held.push({ bytes, answer }))
                : good.request(peer, bytes, ms),
          },
          clock: clockAt(t),
          ctx: CTX,
          logger: recorder(logged),
          onSyncingChange: (syncing) => changes.push(syncing),
        },
        {
          maxBlocksPerRequest: 8,
          maxInFlightRequests: 2,
          requestTimeoutMs,
          lagThresholdBlocks: 8,
          joinSlackBlocks: 2,
        },
      );
      sync.start();
      sync.observeCertified(LENGTH);
      for (; t.now < 2 * requestTimeoutMs && chain.tip().header.height < LENGTH - 1; ) {
        t.now += 100;
        sync.tick();
        await settle();
      }
      const state = () =>
        `tip ${chain.tip().header.height} at ${t.now} ms, ${JSON.stringify(sync.metrics)}, ` +
        `${held.length} held; log:\n${logged.join('\n')}`;
      assert.equal(chain.tip().header.height, LENGTH - 1, state());
      assert.ok(held.length >= 1, `the silent peer was asked: ${state()}`);
      assert.ok(
        t.now <= requestTimeoutMs * DEFAULT_SYNC_OPTIONS.hedgeAfterTimeoutFraction + 500,
        `caught up a little after the hedge, long before the timeout: ${state()}`,
      );
      assert.equal(sync.metrics.hedgedRequests, 1, state());
      assert.ok(held.length <= 2, `requests to the silent peer: ${state()}`);
      // its answers arrive at last: late data is taken as data, nobody is blamed
      const source = sourceOf(server.store);
      for (const h of held) h.answer(serveSyncRequest(source, h.bytes));
      await settle();
      await Promise.all(chain.writes);
      assert.equal(c.store.head().height, LENGTH - 1);
      assert.deepEqual(penalized, []);
      assert.equal(sync.metrics.badResponses, 0);
      if (mode === 'validator') assert.deepEqual(changes, [true, false]);
      sync.stop();
    });
  }

  it('applies a long fetched range in slices of applySliceTxs, one per turn of the event loop', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    // each network answer and each deferred call is one turn; count the blocks each commits
    let turn = 0;
    const perTurn = new Map<number, number>();
    const commit = chain.commit.bind(chain);
    chain.commit = (v) => {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      commit(v);
    };
    const good = network({ p1: 'good' }, [], []);
    const deferred: Array<() => void> = [];
    const sync = new BlockSync(
      {
        mode: 'observer',
        chain,
        network: {
          ...good,
          request: async (peer, bytes, ms) => {
            const frames = await good.request(peer, bytes, ms);
            turn++;
            return frames;
          },
        },
        clock: { nowMs: () => 0, setInterval: () => ({ cancel() {} }), defer: (fire) => deferred.push(fire) },
        ctx: CTX,
      },
      { maxBlocksPerRequest: 32, maxInFlightRequests: 1, applySliceTxs: 3 },
    );
    sync.start();
    sync.observeCertified(LENGTH);
    sync.tick();
    // bounded by time, not by turns: a fetch's answer may take many turns on a loaded machine
    for (const deadline = Date.now() + 10_000; chain.tip().header.height < LENGTH - 1; ) {
      assert.ok(Date.now() < deadline, `applied up to ${chain.tip().header.height} of ${LENGTH - 1} in 10 s`);
      await settle();
      const next = deferred.shift();
      turn++;
      next?.();
    }
    await Promise.all(chain.writes);
    assert.equal(c.store.head().height, LENGTH - 1, 'everything proven is applied in the end');
    // one transaction every other block: a slice of 3 transactions is at most 6 blocks
    const sizes = [...perTurn.values()];
    assert.ok(sizes.length >= 6, `applied in ${sizes.length} turns: ${sizes}`);
    assert.ok(
      sizes.every((n) => n <= 6),
      `blocks per turn: ${sizes}`,
    );
    sync.stop();
  });

  it('with more than maxBufferedBytes held, asks only for the gap below what it holds', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const good = network({ p1: 'good', p2: 'good' }, [], []);
    const asked: number[] = [];
    const options = { maxBlocksPerRequest: 4, maxInFlightRequests: 4, requestTimeoutMs: 60_000 };
    const run = (maxBufferedBytes: number) => {
      const sync = new BlockSync(
        {
          mode: 'observer',
          chain,
          network: {
            ...good,
            request: (_peer, bytes) => {
              asked.push(decodeSyncRequest(bytes).fromHeight);
              return new Promise(() => {});
            },
          },
          clock: clockAt({ now: 0 }),
          ctx: CTX,
        },
        { ...options, maxBufferedBytes },
      );
      sync.start();
      sync.observeCertified(LENGTH);
      // heights 5..8 arrive first (as from a request whose earlier range is still missing)
      const bytes = encodeSyncRequest({ fromHeight: 5, count: 4 });
      sync.onResponse(
        { id: 0, peer: 'p1', fromHeight: 5, count: 4, deadlineMs: 0 },
        serveSyncRequest(sourceOf(server.store), bytes),
      );
      sync.stop();
      return asked.splice(0);
    };
    assert.deepEqual(run(1), [1], 'only the gap that lets the buffer drain');
    assert.deepEqual(run(1 << 30), [1, 9, 13], 'room left: the whole window of 16 above the head');
    assert.equal(chain.tip().header.height, 0);
  });

  it('a validator that hears of nothing ahead still probes every probeIntervalMs and finds out it is behind', async () => {
    const c = await client();
    const chain = chainOf(c.store);
    const t = { now: 0 };
    const changes: boolean[] = [];
    const asked: string[] = [];
    const sync = validatorSync(chain, network({ p1: 'good' }, [], asked), t, changes, {
      probeIntervalMs: 1_000,
      peerHeadTtlMs: 300,
    });
    sync.start();
    // no observeCertified: every consensus message was too far ahead for the gate
    for (let i = 0; i < 30 && changes.length === 0; i++) {
      t.now += 100;
      sync.tick();
      await settle();
    }
    await Promise.all(chain.writes);
    assert.deepEqual(changes, [true, false], `asked ${asked}, proven ${sync.proven}`);
    assert.equal(c.store.head().height, LENGTH - 1);
    sync.stop();
  });

  it('refuses a hedge fraction that would hedge every request at once, or never', () => {
    const components = { mode: 'observer', chain: {}, network: {}, clock: clockAt({ now: 0 }), ctx: CTX };
    for (const fraction of [0, -0.5, 1.5, Number.NaN])
      assert.throws(
        () => new BlockSync(components as never, { hedgeAfterTimeoutFraction: fraction }),
        RangeError,
        String(fraction),
      );
    assert.doesNotThrow(() => new BlockSync(components as never, { hedgeAfterTimeoutFraction: 1 }));
  });
});
