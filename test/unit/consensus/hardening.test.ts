/**
 * The core against a Byzantine validator that holds a genuine key (issue 10): future-round
 * floods, re-sent certificates, a repeated timeout racing its persist, and the double-sign
 * guard after a restart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ConsensusAction,
  ConsensusCore,
  ConsensusDriver,
  ConsensusError,
  type CoreConfig,
  encodeTimeout,
  genesisQc,
  type QuorumCertificate,
  type SafetyData,
  type TimeoutCertificate,
  type TimeoutMessage,
  timeoutDigest,
  type Verifier,
  type Vote,
  voteDigest,
} from '../../../src/consensus/index.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { timeoutSightings } from '../../../src/network/timeout-sightings.js';
import {
  committedHeights,
  genesis,
  makeConfig,
  makeNet,
  type Net,
  run,
  startAll,
  tickAll,
} from './helpers.js';

const MILLION = 1_000_000;

function freshCore(net: Net, i: number, extra: Partial<CoreConfig> = {}, safety?: SafetyData): ConsensusCore {
  return new ConsensusCore(makeConfig(net, i, extra), {
    root: { id: net.vs.genesisId, block: genesis() },
    rootQc: genesisQc(net.vs.genesisId),
    history: [],
    safety,
  });
}

function signedTimeout(net: Net, signer: number, round: number): TimeoutMessage {
  return {
    round,
    highQc: genesisQc(net.vs.genesisId),
    signer,
    signature: net.scheme.signers[signer].sign(timeoutDigest(net.vs, round, 0)),
  };
}

/** A genuine QC for a made-up block of `round`, signed by `signers`. */
function qcOf(net: Net, round: number, signers: number[], tag = 0): QuorumCertificate {
  const blockId = sha256(new Uint8Array([round & 255, (round >> 8) & 255, tag]));
  return {
    round,
    blockId,
    signers,
    signatures: signers.map((s) => net.scheme.signers[s].sign(voteDigest(net.vs, round, blockId))),
  };
}

function signedVote(net: Net, signer: number, round: number, highQc: QuorumCertificate): Vote {
  const blockId = sha256(new Uint8Array([7, round & 255, (round >> 8) & 255, (round >> 16) & 255]));
  return {
    round,
    blockId,
    signer,
    signature: net.scheme.signers[signer].sign(voteDigest(net.vs, round, blockId)),
    sync: { highQc },
  };
}

const kinds = (actions: ConsensusAction[]) => actions.map((a) => a.type);

describe('consensus core: future-round floods (issue 10 item 2)', () => {
  it('keeps nothing of signed timeouts and votes a million rounds ahead', () => {
    const flood = (core: ConsensusCore, net: Net) => {
      core.step(0, { type: 'start' });
      for (let k = 0; k < 500; k++) {
        const round = MILLION + k;
        core.step(1, { type: 'timeout', from: 3, timeout: signedTimeout(net, 3, round) });
        core.step(1, {
          type: 'vote',
          from: 3,
          vote: signedVote(net, 3, round, genesisQc(net.vs.genesisId)),
        });
      }
      return core.status().retained;
    };
    const net = makeNet(4);
    const bounded = flood(freshCore(net, 0), net);
    assert.equal(bounded.timeoutRounds, 0);
    assert.equal(bounded.seenVotes, 0);
    assert.equal(bounded.voteSets, 0);
    // without the core's own window (the gate's alone stood in the way before), every
    // signed message for a new round left an entry behind
    const unbounded = flood(freshCore(net, 0, { maxFutureRounds: Number.POSITIVE_INFINITY }), net);
    assert.equal(unbounded.timeoutRounds, 500);
    assert.equal(unbounded.seenVotes, 500);
  });

  it('still acts on near-future timeouts (f + 1 of round 2 make it time out too)', () => {
    const net = makeNet(4);
    const core = freshCore(net, 0);
    core.step(0, { type: 'start' });
    // timeouts for round 1 from 1 and 2 (f + 1 = 2): core 0 joins them
    core.step(1, { type: 'timeout', from: 1, timeout: signedTimeout(net, 1, 1) });
    const out = core.step(1, { type: 'timeout', from: 2, timeout: signedTimeout(net, 2, 1) });
    assert.ok(kinds(out).includes('persistSafety'));
    assert.equal(core.status().highestTimeoutRound, 1);
  });
});

describe('consensus core: piggybacked certificates (issue 10 item 5)', () => {
  it('verifies a vote sync QC only when it raises the high QC', () => {
    const net = makeNet(4);
    let calls = 0;
    const counting: Verifier = {
      verify: (d, s, i) => {
        calls++;
        return net.scheme.verifier.verify(d, s, i);
      },
    };
    const core = freshCore(net, 1, { verifier: counting });
    core.step(0, { type: 'start' });
    const high = qcOf(net, 20, [0, 1, 2]);
    core.step(1, { type: 'vote', from: 0, vote: signedVote(net, 0, 21, high) });
    assert.equal(core.status().highQcRound, 20);
    calls = 0;
    // one signed vote re-sent with many genuine older QCs: each costs its own signature only
    const vote = signedVote(net, 3, 21, high);
    for (let r = 1; r < 20; r++) {
      core.step(2, { type: 'vote', from: 3, vote: { ...vote, sync: { highQc: qcOf(net, r, [1, 2, 3]) } } });
    }
    assert.equal(calls, 19, 'one vote signature per message, no certificate');
    calls = 0;
    // a QC that raises it is verified (once per quorum signature)
    core.step(3, { type: 'vote', from: 3, vote: signedVote(net, 3, 23, qcOf(net, 22, [1, 2, 3])) });
    assert.equal(core.status().highQcRound, 22);
    assert.equal(calls, 3 + 1);
  });
});

describe('consensus core: a repeated timeout follows its persist (issue 10 item 10a)', () => {
  it('does not re-send a timeout whose safety data is not yet durable', () => {
    const net = makeNet(4);
    const core = freshCore(net, 0);
    core.step(0, { type: 'start' });
    const first = core.step(1000, { type: 'tick' });
    const persist = first.find((a) => a.type === 'persistSafety');
    assert.ok(persist && persist.type === 'persistSafety');
    assert.ok(!kinds(first).includes('broadcastTimeout'), 'the first broadcast waits for the ack');
    // the round expires again before the disk answers: nothing may leave yet
    const again = core.step(2000, { type: 'tick' });
    assert.ok(!kinds(again).includes('broadcastTimeout'), `sent before durable: ${kinds(again)}`);
    const acked = core.step(2001, { type: 'safetyPersisted', seq: persist.seq });
    const sent = acked.filter((a) => a.type === 'broadcastTimeout');
    assert.equal(sent.length, 1);
    assert.ok(sent[0].type === 'broadcastTimeout' && sent[0].repeat === undefined);
    // once durable, an expiry repeats it
    const repeat = core.step(4000, { type: 'tick' }).filter((a) => a.type === 'broadcastTimeout');
    assert.equal(repeat.length, 1);
    assert.ok(repeat[0].type === 'broadcastTimeout' && repeat[0].repeat === true);
  });
});

describe('consensus core: double-sign guard (issue 10 item 10d)', () => {
  it('a restarted validator signs nothing for N rounds, then votes again', () => {
    const net = makeNet(4);
    net.cores[0] = freshCore(net, 0, { doubleSignCheckRounds: 2 });
    startAll(net);
    const votes = net.log[0].flatMap((a) => (a.type === 'sendVote' ? [a.vote.round] : []));
    // round 1 is entered at start; rounds 2 and 3 are watched; it votes from round 3 on
    assert.ok(votes.length > 0, 'it votes again');
    assert.ok(Math.min(...votes) >= 3, `voted in round ${Math.min(...votes)}`);
    assert.equal(net.cores[0].status().doubleSignGuardRoundsLeft, 0);
    assert.deepEqual(committedHeights(net, 1).slice(0, 3), [1, 2, 3]);
  });

  it('a core rebuilt in the same process (after sync) watches no rounds, and still checks its own signatures', () => {
    const net = makeNet(4);
    net.cores[0] = freshCore(net, 0, { doubleSignCheckRounds: 2, resumedInProcess: true });
    startAll(net);
    const votes = net.log[0].flatMap((a) => (a.type === 'sendVote' ? [a.vote.round] : []));
    assert.equal(Math.min(...votes), 1, 'it votes from the first round');
    const safety: SafetyData = {
      lastVotedRound: 5,
      highestTimeoutRound: 5,
      highQc: genesisQc(net.vs.genesisId),
    };
    const resumed = freshCore(net, 0, { doubleSignCheckRounds: 2, resumedInProcess: true }, safety);
    resumed.step(0, { type: 'start' });
    const out = resumed.step(1, {
      type: 'vote',
      from: 1,
      vote: signedVote(net, 1, 8, qcOf(net, 7, [0, 1, 2])),
    });
    assert.ok(kinds(out).includes('halt'), 'a signature of its own it does not remember still stops it');
  });

  it('validators that all restart together start signing after N expired rounds', () => {
    const net = makeNet(4, { doubleSignCheckRounds: 2 });
    startAll(net);
    assert.equal(
      net.log.flat().filter((a) => a.type === 'sendVote' || a.type === 'broadcastProposal').length,
      0,
    );
    tickAll(net, 1000);
    tickAll(net, 2000);
    assert.ok(committedHeights(net, 0).length >= 5, `committed ${committedHeights(net, 0)}`);
    assert.equal(net.log.flat().filter((a) => a.type === 'halt').length, 0, 'no false alarm');
  });

  it('halts with DOUBLE_SIGN_RISK when a certificate holds its signature for a round it does not remember', () => {
    const net = makeNet(4);
    const safety: SafetyData = {
      lastVotedRound: 5,
      highestTimeoutRound: 5,
      highQc: genesisQc(net.vs.genesisId),
    };
    // its own vote of round 3 is below the restored lastVotedRound 5: remembered, fine
    const ok = freshCore(net, 0, { doubleSignCheckRounds: 2 }, safety);
    ok.step(0, { type: 'start' });
    const seen = ok.step(1, { type: 'vote', from: 1, vote: signedVote(net, 1, 4, qcOf(net, 3, [0, 1, 2])) });
    assert.ok(!kinds(seen).includes('halt'));
    // a QC of round 7 with its signature: some other process voted with this key
    const restored = freshCore(net, 0, { doubleSignCheckRounds: 2 }, safety);
    restored.step(0, { type: 'start' });
    const out = restored.step(1, {
      type: 'vote',
      from: 1,
      vote: signedVote(net, 1, 8, qcOf(net, 7, [0, 1, 2])),
    });
    const halt = out.find((a) => a.type === 'halt');
    assert.ok(halt && halt.type === 'halt');
    assert.ok(halt.error instanceof ConsensusError);
    assert.equal(halt.error.code, 'DOUBLE_SIGN_RISK');
    assert.deepEqual(restored.step(5000, { type: 'tick' }), [], 'a halted core does nothing');
    // the same for a timeout it never persisted
    const t = freshCore(net, 0, { doubleSignCheckRounds: 2 }, safety);
    t.step(0, { type: 'start' });
    const own = signedTimeout(net, 0, 9);
    assert.ok(kinds(t.step(1, { type: 'timeout', from: 2, timeout: own })).includes('halt'));
  });

  it('the driver stops and reports a halt', () => {
    const net = makeNet(4);
    const safety: SafetyData = {
      lastVotedRound: 1,
      highestTimeoutRound: 1,
      highQc: genesisQc(net.vs.genesisId),
    };
    const core = freshCore(net, 0, { doubleSignCheckRounds: 1 }, safety);
    const halts: ConsensusError[] = [];
    const sent: string[] = [];
    const driver = new ConsensusDriver(core, {
      transport: { broadcast: (m) => sent.push(m.kind), send: (_to, m) => sent.push(m.kind) },
      clock: { now: () => 0, setTimer: () => {} },
      safetyStore: { persist: (_d, durable) => durable() },
      app: {
        buildPayload: () => {},
        validatePayload: (_check, done) => done(true),
        commit: () => {},
        getCommittedBlock: () => undefined,
      },
      onHalt: (e) => halts.push(e),
    });
    driver.start();
    driver.onMessage(1, { kind: 'vote', vote: signedVote(net, 1, 4, qcOf(net, 3, [0, 1, 2])) });
    assert.equal(halts.length, 1);
    assert.equal(halts[0].code, 'DOUBLE_SIGN_RISK');
    driver.onMessage(1, { kind: 'timeout', timeout: signedTimeout(net, 1, 9) });
    assert.deepEqual(sent, []);
  });
});

describe('consensus core: fetches that can never be answered', () => {
  it('drops the fetch of a certified block no peer serves once the committed tip passes its round', () => {
    const net = makeNet(4);
    net.down.add(3);
    startAll(net);
    for (let t = 1000; t < 20000; t += 1000) tickAll(net, t);
    assert.ok(committedHeights(net, 0).length >= 3, 'the other three commit');
    net.down.delete(3);
    net.maxRound = 20;
    // A certificate of a block no core holds, standing in for one that lost its fork (made
    // up here, for a round the chain also certified: the core cannot tell), so no fetch of
    // it is ever answered. Node 3 hears of it first, in a timeout of validator 1.
    const orphan = qcOf(net, 1, [0, 1, 2], 9);
    const orphanKey = Buffer.from(orphan.blockId).toString('hex');
    const timeout: TimeoutMessage = {
      round: 2,
      highQc: orphan,
      signer: 1,
      signature: net.scheme.signers[1].sign(timeoutDigest(net.vs, 2, 1)),
    };
    run(net, [
      [3, { type: 'start' }],
      [3, { type: 'timeout', from: 1, timeout }],
    ]);
    const orphanFetches = () =>
      net.log[3].filter(
        (a) => a.type === 'fetchBlock' && Buffer.from(a.blockId).toString('hex') === orphanKey,
      ).length;
    assert.ok(orphanFetches() >= 1, 'node 3 asks for the orphaned block');
    for (let t = 21000; t < 60000; t += 1000) tickAll(net, t);
    const status = net.cores[3].status();
    assert.ok(status.committedRound > 1, `node 3 committed to round ${status.committedRound}`);
    assert.equal(status.retained.missingBlocks, 0);
    const fetchedBefore = orphanFetches();
    for (let t = 60000; t < 70000; t += 500) tickAll(net, t);
    assert.equal(orphanFetches(), fetchedBefore, 'no more requests for it');
  });
});

describe('consensus core: timeouts signed again after a rebuild in the same round', () => {
  it('a core rebuilt after sync signs its round timeout again over its current high QC; the gate takes three such contents per round', () => {
    const net = makeNet(4);
    // every rebuild enters round 5 through the TC of round 4, whatever its high QC (1 to 4)
    const tc4: TimeoutCertificate = {
      round: 4,
      highQc: genesisQc(net.vs.genesisId),
      signers: [1, 2, 3],
      highQcRounds: [0, 0, 0],
      signatures: [1, 2, 3].map((s) => net.scheme.signers[s].sign(timeoutDigest(net.vs, 4, 0))),
    };
    const signedAfterRebuild = (qcRound: number, highestTimeoutRound: number): TimeoutMessage => {
      // what block sync leaves: a higher QC learnt, the safety data of the round it timed out in
      const core = freshCore(
        net,
        0,
        { doubleSignCheckRounds: 2, resumedInProcess: true },
        { lastVotedRound: qcRound, highestTimeoutRound, highQc: qcOf(net, qcRound, [1, 2, 3]), highTc: tc4 },
      );
      core.step(0, { type: 'start' });
      assert.equal(core.status().round, 5);
      const persist = core.step(MILLION, { type: 'tick' }).find((a) => a.type === 'persistSafety');
      assert.ok(persist && persist.type === 'persistSafety', 'the round expires: it times out');
      const sent = core.step(MILLION + 1, { type: 'safetyPersisted', seq: persist.seq });
      const t = sent.find((a) => a.type === 'broadcastTimeout');
      assert.ok(t && t.type === 'broadcastTimeout');
      return t.timeout;
    };
    const signed = [signedAfterRebuild(1, 4), signedAfterRebuild(2, 5), signedAfterRebuild(3, 5)];
    assert.deepEqual(
      signed.map((t) => [t.round, t.highQc.round]),
      [
        [5, 1],
        [5, 2],
        [5, 3],
      ],
      'one signed content per process life in the round',
    );
    for (const t of signed)
      assert.ok(net.scheme.verifier.verify(timeoutDigest(net.vs, 5, t.highQc.round), t.signature, 0));
    const sightings = timeoutSightings(16);
    const admit = (t: TimeoutMessage) =>
      sightings.admit(
        t.signer,
        t.round,
        String(t.highQc.round),
        Buffer.from(encodeTimeout(t)).toString('hex'),
      );
    // peers take the first life's timeout and those of two rebuilds inside the round...
    assert.deepEqual(signed.map(admit), ['forward', 'forward', 'forward']);
    // ...and ignore a fourth content (docs/PROTOCOL.md [timeout-flood]): they hold its first three
    assert.equal(admit(signedAfterRebuild(4, 5)), 'over');
  });
});
