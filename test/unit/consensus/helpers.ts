/** A tiny synchronous harness around ConsensusCore for unit tests (no driver, no sim). */
import { hashHeader } from '../../../src/chain/codec.js';
import type { Block } from '../../../src/chain/types.js';
import {
  type ConsensusAction,
  ConsensusCore,
  type ConsensusEvent,
  type CoreConfig,
  genesisQc,
  type Payload,
  type SafetyData,
  type ValidatorSet,
} from '../../../src/consensus/index.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { hmacTestScheme, type TestScheme } from '../../sim/hmac-scheme.js';

export const CHAIN_ID = 7n;

export function genesis(): Block {
  return {
    header: {
      chainId: CHAIN_ID,
      height: 0,
      round: 0,
      parentHash: new Uint8Array(32),
      proposer: new Uint8Array(20),
      timestampMs: 0,
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      receiptsRoot: new Uint8Array(32),
      parentQc: new Uint8Array(0),
    },
    transactions: [],
  };
}

export function validatorSet(scheme: TestScheme, n: number): ValidatorSet {
  return {
    chainId: CHAIN_ID,
    genesisId: hashHeader(genesis().header),
    validators: Array.from({ length: n }, (_, i) => ({
      address: sha256(new Uint8Array([9, i])).subarray(0, 20),
      publicKey: scheme.publicKeys[i],
    })),
  };
}

export function payloadFor(a: Extract<ConsensusAction, { type: 'requestPayload' }>, tag = 1): Payload {
  const tx = new Uint8Array([tag, a.round & 255]);
  return {
    parentId: a.parentId,
    transactions: [tx],
    txRoot: sha256(tx),
    stateRoot: sha256(tx),
    receiptsRoot: new Uint8Array(32),
    timestampMs: a.round,
  };
}

export interface Net {
  scheme: TestScheme;
  vs: ValidatorSet;
  cores: ConsensusCore[];
  /** Every action each core emitted, in order. */
  log: ConsensusAction[][];
  durable: Array<SafetyData | undefined>;
  now: number;
  /** Which cores are connected; undefined means all. */
  down: Set<number>;
  /** Leaders stop proposing after this round, so a run reaches quiescence. */
  maxRound: number;
}

export function makeConfig(
  net: { scheme: TestScheme; vs: ValidatorSet },
  i: number,
  extra: Partial<CoreConfig> = {},
) {
  return {
    validatorSet: net.vs,
    self: i,
    signer: net.scheme.signers[i],
    verifier: net.scheme.verifier,
    baseRoundTimeoutMs: 1000,
    maxTimeoutExponent: 4,
    fetchRetryMs: 500,
    reputation: {
      enabled: false,
      windowBlocks: 10,
      lagRounds: 20,
      probationPeriodRounds: 100,
      staleAfterRounds: 10,
      stallGapRounds: 9,
    },
    ...extra,
  } satisfies CoreConfig;
}

export function makeNet(n: number, extra: Partial<CoreConfig> = {}): Net {
  const scheme = hmacTestScheme(1, n);
  const vs = validatorSet(scheme, n);
  const g = genesis();
  const root = { id: vs.genesisId, block: g };
  const cores = Array.from(
    { length: n },
    (_, i) =>
      new ConsensusCore(makeConfig({ scheme, vs }, i, extra), {
        root,
        rootQc: genesisQc(vs.genesisId),
        history: [],
      }),
  );
  return {
    scheme,
    vs,
    cores,
    log: cores.map(() => []),
    durable: cores.map(() => undefined),
    now: 0,
    down: new Set(),
    maxRound: 10,
  };
}

/**
 * Runs events to quiescence: persist acks, payloads and validations are answered at
 * once; messages are delivered in FIFO order to every core that is not down.
 */
export function run(
  net: Net,
  initial: Array<[number, ConsensusEvent]>,
  validate = (_b: Block) => true,
): void {
  const queue = [...initial];
  let steps = 0;
  while (queue.length > 0) {
    if (++steps > 100_000) throw new Error('no quiescence');
    const [i, ev] = queue.shift()!;
    if (net.down.has(i)) continue;
    const actions = net.cores[i].step(net.now, ev);
    net.log[i].push(...actions);
    for (const a of actions) {
      switch (a.type) {
        case 'persistSafety':
          net.durable[i] = a.data;
          queue.push([i, { type: 'safetyPersisted', seq: a.seq }]);
          break;
        case 'requestPayload':
          if (a.round <= net.maxRound)
            queue.push([i, { type: 'payloadReady', round: a.round, payload: payloadFor(a) }]);
          break;
        case 'validatePayload':
          queue.push([i, { type: 'payloadValidated', blockId: a.blockId, valid: validate(a.block) }]);
          break;
        case 'broadcastProposal':
          for (let j = 0; j < net.cores.length; j++)
            if (j !== i) queue.push([j, { type: 'proposal', from: i, proposal: a.proposal }]);
          break;
        case 'broadcastTimeout':
          for (let j = 0; j < net.cores.length; j++)
            if (j !== i) queue.push([j, { type: 'timeout', from: i, timeout: a.timeout }]);
          break;
        case 'sendVote':
          queue.push([a.to, { type: 'vote', from: i, vote: a.vote }]);
          break;
        case 'fetchBlock': {
          // the driver answers from the core's tree or the committed store
          const key = Buffer.from(a.blockId).toString('hex');
          let block = net.cores[a.from].getBlock(a.blockId);
          for (const x of net.log[a.from]) {
            if (block || x.type !== 'commit') continue;
            block = x.blocks.find((b) => Buffer.from(b.id).toString('hex') === key)?.block;
          }
          if (block) queue.push([i, { type: 'blockFetched', block }]);
          break;
        }
        default:
          break;
      }
    }
  }
}

export function startAll(net: Net): void {
  run(
    net,
    net.cores.map((_, i) => [i, { type: 'start' }] as [number, ConsensusEvent]),
  );
}

export function committedHeights(net: Net, i: number): number[] {
  const out: number[] = [];
  for (const a of net.log[i])
    if (a.type === 'commit') for (const b of a.blocks) out.push(b.block.header.height);
  return out;
}

/** Advances virtual time and ticks every live core. */
export function tickAll(net: Net, toMs: number): void {
  net.now = toMs;
  run(
    net,
    net.cores.map((_, i) => [i, { type: 'tick' }] as [number, ConsensusEvent]),
  );
}
