/**
 * The Byzantine behaviours of a validator with a genuine key, as a Transport that wraps the
 * honest one. Shared by the consensus simulator (simulator.ts) and the composed node
 * (node/composed.ts): each simulator says how a message reaches a node (`deliver`), so in
 * the composed one forgeries travel as bytes through the receiver's gossip gate.
 *
 * The order of every PRNG draw and every delivery is part of a seeded run's trace: change
 * it and the simulator's seeds replay other runs.
 */
import { hashHeader } from '../../src/chain/index.js';
import type { BlockHeader } from '../../src/chain/types.js';
import {
  type ConsensusCore,
  type ConsensusMessage,
  encodeQc,
  maxFaulty,
  proposalDigest,
  type QuorumCertificate,
  type Signer,
  type TimeoutMessage,
  type Transport,
  timeoutDigest,
  type ValidatorSet,
  type Vote,
  voteDigest,
} from '../../src/consensus/index.js';
import type { Prng } from './prng.js';

export type Behaviour =
  | 'equivocator'
  | 'doubleVoter'
  | 'withholder'
  | 'staleFuture'
  | 'forger'
  | 'invalidPayload'
  | 'silent';

/** What a Byzantine transport needs from its simulator; T is the simulator's node. */
export interface ByzantinePorts<T> {
  behaviour: Behaviour;
  /** This node's validator index. */
  self: number;
  signer: Signer;
  validatorSet: ValidatorSet;
  /** The behaviour's own stream (forked by the caller when it builds the transport). */
  rng: Prng;
  /** The node's honest transport: what it sends when it does not misbehave. */
  honest: Transport;
  /** Every node, this one included, in the simulator's order (a delivery to itself is dropped). */
  all(): readonly T[];
  /** Every node but this one (its twin included). */
  others(): readonly T[];
  deliver(to: T, msg: ConsensusMessage): void;
  later(delayMs: number, fire: () => void): void;
  nowMs(): number;
  core(): ConsensusCore | undefined;
  /** Messages this node received, to replay stale ones. */
  seen(): readonly ConsensusMessage[];
  /** The certificate a forgery starts from when the core has none. */
  genesisQc(): QuorumCertificate;
}

/** The honest transport with the behaviour's misdeeds ('invalidPayload' lives in the payload). */
export function byzantineTransport<T>(p: ByzantinePorts<T>): Transport {
  const b = p.behaviour;
  const { honest, rng, signer, validatorSet: domain } = p;
  return {
    broadcast: (msg, options) => {
      if (b === 'silent') return;
      if (b === 'equivocator' && msg.kind === 'proposal') {
        // two different signed blocks for one round, one to each half of the network
        const prop = msg.proposal;
        const header = { ...prop.block.header, timestampMs: prop.block.header.timestampMs + 1 };
        const id = hashHeader(header);
        const twin = {
          ...prop,
          block: { ...prop.block, header },
          signature: signer.sign(proposalDigest(domain, header.round, id)),
        };
        const all = p.others();
        const other: ConsensusMessage = { kind: 'proposal', proposal: twin };
        all.forEach((to, i) => {
          p.deliver(to, i % 2 === 0 ? msg : other);
        });
        // and later the other one to everyone, so honest nodes hold the evidence
        p.later(5, () => {
          all.forEach((to, i) => {
            p.deliver(to, i % 2 === 0 ? other : msg);
          });
        });
        return;
      }
      honest.broadcast(msg, options);
      if (b === 'staleFuture') injectStaleFuture(p, msg);
      if (b === 'forger') injectForgeries(p, msg);
    },
    send: (to, msg) => {
      if (b === 'silent') return;
      if (msg.kind === 'vote') {
        if (b === 'withholder') return;
        if (b === 'doubleVoter') {
          const blockId = rng.bytes(32);
          const second: Vote = {
            ...msg.vote,
            blockId,
            signature: signer.sign(voteDigest(domain, msg.vote.round, blockId)),
          };
          honest.send(to, { kind: 'vote', vote: second });
        }
      }
      honest.send(to, msg);
      if (b === 'staleFuture') injectStaleFuture(p, msg);
      if (b === 'forger') injectForgeries(p, msg);
    },
  };
}

/** A stale message replayed, and correctly signed messages for a round up to 1000 ahead. */
function injectStaleFuture<T>(p: ByzantinePorts<T>, msg: ConsensusMessage): void {
  const { rng } = p;
  const seen = p.seen();
  if (seen.length > 0 && rng.chance(0.5)) {
    const old = rng.pick(seen);
    for (const to of p.all()) p.deliver(to, old);
  }
  const round = (p.core()?.status().round ?? 1) + 1 + rng.int(1000);
  injectSignedFuture(p, msg, round);
}

/**
 * A correctly signed timeout for `round` to everyone, and when `msg` is a vote a signed vote
 * for a made-up block of that round (the far-future schedules of the gate's round window).
 */
export function injectSignedFuture<T>(p: ByzantinePorts<T>, msg: ConsensusMessage, round: number): void {
  const { rng, signer, validatorSet } = p;
  const highQc = p.core()?.syncInfo().highQc ?? p.genesisQc();
  const timeout: TimeoutMessage = {
    round,
    highQc,
    signer: p.self,
    signature: signer.sign(timeoutDigest(validatorSet, round, highQc.round)),
  };
  for (const to of p.all()) p.deliver(to, { kind: 'timeout', timeout });
  if (msg.kind === 'vote') {
    const blockId = rng.bytes(32);
    const vote: Vote = {
      round,
      blockId,
      signer: p.self,
      signature: signer.sign(voteDigest(validatorSet, round, blockId)),
      sync: { highQc },
    };
    for (const to of p.all()) p.deliver(to, { kind: 'vote', vote });
  }
}

/** Certificates, votes, timeouts and proposals with made-up signatures, some in others' names. */
function injectForgeries<T>(p: ByzantinePorts<T>, msg: ConsensusMessage): void {
  const { rng } = p;
  const n = p.validatorSet.validators.length;
  const round = (p.core()?.status().round ?? 1) + 1 + rng.int(5);
  const sigLen = 32;
  // a QC for a future round whose signatures are made up
  const signers = Array.from({ length: n }, (_, i) => i).slice(0, n - maxFaulty(n));
  const fakeQc: QuorumCertificate = {
    round,
    blockId: rng.bytes(32),
    signers,
    signatures: signers.map(() => rng.bytes(sigLen)),
  };
  // ... carried by a timeout signed (badly) in another validator's name
  const victim = (p.self + 1 + rng.int(n - 1)) % n;
  const timeout: TimeoutMessage = {
    round: round + 1,
    highQc: fakeQc,
    signer: victim,
    signature: rng.bytes(sigLen),
  };
  // ... a vote in another validator's name
  const vote: Vote = {
    round,
    blockId: rng.bytes(32),
    signer: victim,
    signature: rng.bytes(sigLen),
    sync: { highQc: fakeQc },
  };
  // ... and a proposal in the leader's name on top of the forged QC
  const header: BlockHeader = {
    chainId: p.validatorSet.chainId,
    height: 1 + rng.int(100),
    round: round + 1,
    parentHash: fakeQc.blockId,
    proposer: p.validatorSet.validators[victim].address,
    timestampMs: Math.floor(p.nowMs()),
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: encodeQc(fakeQc),
  };
  const proposal = { block: { header, transactions: [] }, signature: rng.bytes(sigLen) };
  // ... and, reusing a genuine vote's signature, a vote re-targeted to another block
  const extra: ConsensusMessage[] = [
    { kind: 'timeout', timeout },
    { kind: 'vote', vote },
    { kind: 'proposal', proposal },
  ];
  if (msg.kind === 'vote') {
    extra.push({ kind: 'vote', vote: { ...msg.vote, blockId: rng.bytes(32) } });
  }
  for (const m of extra) for (const to of p.all()) p.deliver(to, m);
}
