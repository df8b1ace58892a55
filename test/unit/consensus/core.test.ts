import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashHeader } from '../../../src/chain/codec.js';
import {
  type ConsensusAction,
  ConsensusCore,
  decodeQc,
  genesisQc,
  type Proposal,
  proposalDigest,
  voteDigest,
} from '../../../src/consensus/index.js';
import { committedHeights, makeConfig, makeNet, run, startAll, tickAll } from './helpers.js';

function proposals(actions: ConsensusAction[]): Proposal[] {
  return actions.flatMap((a) => (a.type === 'broadcastProposal' ? [a.proposal] : []));
}

describe('consensus core: happy path', () => {
  it('four validators commit a chain under the 2-chain rule, identical on every node', () => {
    const net = makeNet(4);
    startAll(net);
    // leaders stop after round 10. Everyone saw QC(9) in block 10's header, so commits
    // block 8; only round 11's leader (3) formed QC(10) and so also commits block 9.
    assert.deepEqual(committedHeights(net, 0), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(committedHeights(net, 1), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(committedHeights(net, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ids = (i: number) =>
      net.log[i].flatMap((a) =>
        a.type === 'commit' ? a.blocks.map((b) => Buffer.from(b.id).toString('hex')) : [],
      );
    for (let i = 1; i < 4; i++) assert.deepEqual(ids(i).slice(0, 8), ids(0));
  });

  it('each block header carries the canonical QC of its parent', () => {
    const net = makeNet(4);
    startAll(net);
    const props = net.log.flatMap(proposals);
    assert.ok(props.length >= 10);
    for (const p of props) {
      const qc = decodeQc(p.block.header.parentQc);
      assert.deepEqual(qc.blockId, p.block.header.parentHash);
      assert.equal(qc.round + 1, p.block.header.round);
    }
  });

  it('is deterministic: the same inputs give the same outputs', () => {
    const a = makeNet(4);
    const b = makeNet(4);
    startAll(a);
    startAll(b);
    const strip = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    assert.equal(strip(a.log), strip(b.log));
  });

  it('sends a vote only after the safety data it depends on is acknowledged', () => {
    const net = makeNet(4);
    const core = net.cores[1];
    const leaderActions = net.cores[1].step(0, { type: 'start' });
    // core 1 leads round 1: it asks for a payload first
    const req = leaderActions.find((x) => x.type === 'requestPayload');
    assert.ok(req && req.type === 'requestPayload');
    const tx = new Uint8Array([1]);
    const acts = core.step(0, {
      type: 'payloadReady',
      round: 1,
      payload: {
        parentId: req.parentId,
        transactions: [tx],
        txRoot: tx.fill(0, 0) && new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        receiptsRoot: new Uint8Array(32),
        timestampMs: 1,
      },
    });
    const persist = acts.find((x) => x.type === 'persistSafety');
    assert.ok(persist && persist.type === 'persistSafety');
    assert.equal(persist.data.lastVotedRound, 1);
    assert.equal(
      acts.some((x) => x.type === 'broadcastProposal' || x.type === 'sendVote'),
      false,
    );
    const after = core.step(0, { type: 'safetyPersisted', seq: persist.seq });
    assert.ok(after.some((x) => x.type === 'broadcastProposal'));
    assert.ok(after.some((x) => x.type === 'sendVote' && x.to === 2));
  });
});

describe('consensus core: pacemaker', () => {
  it('a crashed leader costs a timeout; the TC moves everyone to the next round and commits resume', () => {
    const net = makeNet(4);
    net.down.add(2); // leader of round 2, so round 1's votes are lost too
    net.maxRound = 12;
    startAll(net);
    assert.deepEqual(committedHeights(net, 0), []);
    assert.equal(net.cores[0].status().round, 1);
    tickAll(net, 1000); // round 1 times out: TC(1)
    assert.ok(net.log[0].some((a) => a.type === 'broadcastTimeout'));
    assert.equal(net.cores[0].status().highTcRound, 1);
    assert.equal(net.cores[0].status().round, 2);
    tickAll(net, 3000); // round 2 (crashed leader) times out after 2x the base timeout: TC(2)
    assert.equal(net.cores[0].status().highTcRound, 2);
    // round 6 (leader 2) fails again, so drive time until the chain reaches round 12
    for (let t = 2000; t < 20000; t += 1000) tickAll(net, t);
    const h = committedHeights(net, 0);
    assert.ok(h.length >= 5, `committed ${h.length}`);
    assert.deepEqual(committedHeights(net, 1), h);
    assert.deepEqual(committedHeights(net, 3), h);
  });

  it('timeouts grow exponentially while rounds fail and reset on progress', () => {
    const net = makeNet(4);
    const c = net.cores[0];
    const first = c.step(0, { type: 'start' }).find((a) => a.type === 'setTimer');
    assert.ok(first && first.type === 'setTimer');
    assert.equal(first.atMs, 1000);
    // alone, node 0 cannot form TCs: its deadline is re-armed at the same duration
    const again = c.step(1000, { type: 'tick' });
    assert.ok(again.some((a) => a.type === 'persistSafety' && a.data.highestTimeoutRound === 1));
  });
  it('a timer that fires before its time is armed again, so the round still times out', () => {
    const net = makeNet(4);
    const c = net.cores[0];
    c.step(0, { type: 'start' }); // timer at 1000
    // a real clock fired 1 ms early: nothing is due yet, but the timer must be set again
    const early = c.step(999, { type: 'tick' });
    assert.deepEqual(
      early.filter((a) => a.type === 'setTimer'),
      [{ type: 'setTimer', atMs: 1000 }],
    );
    const due = c.step(1000, { type: 'tick' });
    assert.ok(due.some((a) => a.type === 'persistSafety' && a.data.highestTimeoutRound === 1));
  });

  it('a timeout sent again is marked as a repeat, the first one is not', () => {
    const net = makeNet(4);
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    const first = c.step(1000, { type: 'tick' });
    const persist = first.find((a) => a.type === 'persistSafety');
    assert.ok(persist && persist.type === 'persistSafety');
    const sent = c.step(1000, { type: 'safetyPersisted', seq: persist.seq });
    const initial = sent.find((a) => a.type === 'broadcastTimeout');
    assert.ok(initial && initial.type === 'broadcastTimeout' && initial.repeat === undefined);
    // alone, node 0 forms no TC: on the next expiry the same timeout goes out as a repeat
    const again = c.step(2000, { type: 'tick' }).find((a) => a.type === 'broadcastTimeout');
    assert.ok(again && again.type === 'broadcastTimeout' && again.repeat === true);
    assert.deepEqual(again.timeout, initial.timeout);
  });
});

describe('consensus core: voting rule and signatures', () => {
  function setup() {
    const net = makeNet(4);
    const leader = net.cores[1];
    const acts = leader.step(0, { type: 'start' });
    const req = acts.find((a) => a.type === 'requestPayload');
    assert.ok(req && req.type === 'requestPayload');
    const ready = leader.step(0, {
      type: 'payloadReady',
      round: 1,
      payload: {
        parentId: req.parentId,
        transactions: [],
        txRoot: new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        receiptsRoot: new Uint8Array(32),
        timestampMs: 1,
      },
    });
    const persist = ready.find((a) => a.type === 'persistSafety');
    assert.ok(persist && persist.type === 'persistSafety');
    const sent = leader.step(0, { type: 'safetyPersisted', seq: persist.seq });
    const proposal = proposals(sent)[0];
    assert.ok(proposal);
    return { net, proposal };
  }

  function voteActions(core: ConsensusCore, proposal: Proposal): ConsensusAction[] {
    const out = core.step(0, { type: 'proposal', from: 1, proposal });
    const v = out.find((a) => a.type === 'validatePayload');
    if (v?.type !== 'validatePayload') return out;
    const out2 = core.step(0, { type: 'payloadValidated', blockId: v.blockId, valid: true });
    return [...out, ...out2];
  }

  it('votes once for a valid proposal, never twice in a round', () => {
    const { net, proposal } = setup();
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    const first = voteActions(c, proposal);
    assert.ok(first.some((a) => a.type === 'persistSafety' && a.data.lastVotedRound === 1));
    // the same proposal again yields nothing new
    const second = voteActions(c, proposal);
    assert.equal(
      second.some((a) => a.type === 'persistSafety'),
      false,
    );
  });

  it('does not vote for a block whose payload is invalid', () => {
    const { net, proposal } = setup();
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    const out = c.step(0, { type: 'proposal', from: 1, proposal });
    const v = out.find((a) => a.type === 'validatePayload');
    assert.ok(v && v.type === 'validatePayload');
    const res = c.step(0, { type: 'payloadValidated', blockId: v.blockId, valid: false });
    assert.equal(
      res.some((a) => a.type === 'persistSafety'),
      false,
    );
  });

  it('rejects a proposal with a forged signature or from the wrong leader', () => {
    const { net, proposal } = setup();
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    const forged = { ...proposal, signature: new Uint8Array(32).fill(7) };
    assert.equal(
      c.step(0, { type: 'proposal', from: 1, proposal: forged }).some((a) => a.type === 'validatePayload'),
      false,
    );
    // validator 3 signs a block for round 1 (not its round)
    const header = { ...proposal.block.header, proposer: net.vs.validators[3].address };
    const id = hashHeader(header);
    const wrong = {
      block: { ...proposal.block, header },
      signature: net.scheme.signers[3].sign(proposalDigest(net.vs, 1, id)),
    };
    assert.equal(
      c.step(0, { type: 'proposal', from: 3, proposal: wrong }).some((a) => a.type === 'validatePayload'),
      false,
    );
  });

  it('detects an equivocating leader and keeps both signed proposals as evidence', () => {
    const { net, proposal } = setup();
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    voteActions(c, proposal);
    const header = { ...proposal.block.header, timestampMs: 99 };
    const id = hashHeader(header);
    const other = {
      block: { ...proposal.block, header },
      signature: net.scheme.signers[1].sign(proposalDigest(net.vs, 1, id)),
    };
    const out = c.step(0, { type: 'proposal', from: 1, proposal: other });
    const ev = out.find((a) => a.type === 'evidence');
    assert.ok(ev && ev.type === 'evidence');
    assert.equal(ev.evidence.kind, 'proposal');
    assert.equal(ev.evidence.validator, 1);
    assert.equal(ev.evidence.round, 1);
    assert.equal(
      out.some((a) => a.type === 'persistSafety'),
      false,
    );
  });

  it('detects a double vote at the next leader', () => {
    const net = makeNet(4);
    const next = net.cores[2]; // leader of round 2 collects round-1 votes
    next.step(0, { type: 'start' });
    const mk = (blockByte: number) => {
      const blockId = new Uint8Array(32).fill(blockByte);
      return {
        round: 1,
        blockId,
        signer: 3,
        signature: net.scheme.signers[3].sign(voteDigest(net.vs, 1, blockId)),
        sync: { highQc: genesisQc(net.vs.genesisId) },
      };
    };
    next.step(0, { type: 'vote', from: 3, vote: mk(1) });
    const out = next.step(0, { type: 'vote', from: 3, vote: mk(2) });
    const ev = out.find((a) => a.type === 'evidence');
    assert.ok(ev && ev.type === 'evidence' && ev.evidence.kind === 'vote' && ev.evidence.validator === 3);
  });

  it('a restarted node keeps its last voted round and does not vote again', () => {
    const { net, proposal } = setup();
    const c = net.cores[0];
    c.step(0, { type: 'start' });
    const acts = voteActions(c, proposal);
    const persist = acts.find((a) => a.type === 'persistSafety');
    assert.ok(persist && persist.type === 'persistSafety');
    const root = { id: net.vs.genesisId, block: net.cores[1].getBlock(net.vs.genesisId)! };
    const restarted = new ConsensusCore(makeConfig(net, 0), {
      root,
      rootQc: genesisQc(net.vs.genesisId),
      history: [],
      safety: persist.data,
    });
    restarted.step(0, { type: 'start' });
    assert.equal(
      voteActions(restarted, proposal).some((a) => a.type === 'persistSafety'),
      false,
    );
  });
});

describe('consensus core: catching up', () => {
  it('a lagging node fetches missing blocks and commits the same chain', () => {
    const net = makeNet(4);
    net.down.add(3);
    net.maxRound = 10;
    startAll(net);
    for (let t = 1000; t < 30000; t += 1000) tickAll(net, t);
    const h0 = committedHeights(net, 0);
    assert.ok(h0.length >= 3, `committed ${h0.length}`);
    net.down.delete(3);
    net.maxRound = 20;
    // node 3 starts late; the next proposals carry QCs of blocks it never saw
    run(net, [[3, { type: 'start' }]]);
    for (let t = 31000; t < 90000; t += 1000) tickAll(net, t);
    const h3 = committedHeights(net, 3);
    assert.ok(h3.length > 0, 'node 3 committed nothing');
    assert.deepEqual(h3, committedHeights(net, 0).slice(0, h3.length));
    assert.ok(net.log[3].some((a) => a.type === 'fetchBlock'));
  });
});
