/**
 * Canonical RLP encodings of consensus messages and the signed digests
 * (docs/PROTOCOL.md, "Encodings"). Integers are minimal big-endian byte strings, as in
 * the block codec; decoding re-encodes and compares, so each value has one encoding.
 *
 *   qc       = rlp([round, blockId, [[signer, signature], ...]])           signers increasing
 *   tc       = rlp([round, qc, [[signer, highQcRound, signature], ...]])   signers increasing
 *   sync     = rlp([qc, tc or empty])
 *   vote     = rlp([round, blockId, signer, signature, sync])
 *   timeout  = rlp([round, qc, signer, signature, tc or empty])
 *   proposal = rlp([block, signature, tc or empty])
 *   safety   = rlp([lastVotedRound, highestTimeoutRound, qc, tc or empty, [block, ...]])
 *
 *   digest(kind, fields) = sha256(rlp(["bft-ledger/consensus/v1", chainId, kind, ...fields]))
 *     proposal: kind "proposal", fields [round, blockId]
 *     vote:     kind "vote",     fields [round, blockId]
 *     timeout:  kind "timeout",  fields [round, highQcRound]
 */
import { RLP } from '@ethereumjs/rlp';
import { decodeBlock as decodeChainBlock, encodeBlock } from '../chain/codec.js';
import { bigintToBytes, equalBytes } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { decodeRlp, type RlpBounds } from '../crypto/rlp.js';
import { ConsensusError } from './errors.js';
import type {
  Proposal,
  QuorumCertificate,
  SafetyData,
  SyncInfo,
  TimeoutCertificate,
  TimeoutMessage,
  Vote,
} from './types.js';

type Nested = Uint8Array | Nested[];

/**
 * The tag every consensus digest starts with. v2: the genesis id joined the signed fields
 * (SigningDomain). Stored beside safety data, whose certificates were signed under it.
 */
export const CONSENSUS_DIGEST_TAG = 'bft-ledger/consensus/v2';
const DOMAIN = new TextEncoder().encode(CONSENSUS_DIGEST_TAG);
const KIND_PROPOSAL = new TextEncoder().encode('proposal');
const KIND_VOTE = new TextEncoder().encode('vote');
const KIND_TIMEOUT = new TextEncoder().encode('timeout');
const EMPTY = new Uint8Array(0);

/** Minimal big-endian bytes of a non-negative safe integer (the same as bigintToBytes). */
function int(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) return bigintToBytes(BigInt(n));
  let len = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) len++;
  const out = new Uint8Array(len);
  for (let i = len - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

/**
 * What every consensus signature is bound to: the chain id, and the genesis it grew from.
 * The genesis id keeps a signature from counting on another network that shares the chain
 * id and the validator keys (a test network made from the same keys, a network restarted
 * from a new genesis): its QCs, timeouts and proposals fail here as bad signatures.
 * A ValidatorSet is one.
 */
export interface SigningDomain {
  chainId: bigint;
  genesisId: Uint8Array;
}

function digestOf(domain: SigningDomain, kind: Uint8Array, fields: Uint8Array[]): Uint8Array {
  return sha256(RLP.encode([DOMAIN, bigintToBytes(domain.chainId), domain.genesisId, kind, ...fields]));
}

export function proposalDigest(domain: SigningDomain, round: number, blockId: Uint8Array): Uint8Array {
  return digestOf(domain, KIND_PROPOSAL, [int(round), blockId]);
}

export function voteDigest(domain: SigningDomain, round: number, blockId: Uint8Array): Uint8Array {
  return digestOf(domain, KIND_VOTE, [int(round), blockId]);
}

export function timeoutDigest(domain: SigningDomain, round: number, highQcRound: number): Uint8Array {
  return digestOf(domain, KIND_TIMEOUT, [int(round), int(highQcRound)]);
}

function qcFields(qc: QuorumCertificate): Nested {
  return [int(qc.round), qc.blockId, qc.signers.map((s, i) => [int(s), qc.signatures[i]])];
}

function tcFields(tc: TimeoutCertificate): Nested {
  return [
    int(tc.round),
    qcFields(tc.highQc),
    tc.signers.map((s, i) => [int(s), int(tc.highQcRounds[i]), tc.signatures[i]]),
  ];
}

function syncFields(sync: SyncInfo): Nested {
  return [qcFields(sync.highQc), sync.highTc ? tcFields(sync.highTc) : EMPTY];
}

export function encodeQc(qc: QuorumCertificate): Uint8Array {
  return RLP.encode(qcFields(qc));
}

export function encodeTc(tc: TimeoutCertificate): Uint8Array {
  return RLP.encode(tcFields(tc));
}

export function encodeVote(v: Vote): Uint8Array {
  return RLP.encode([int(v.round), v.blockId, int(v.signer), v.signature, syncFields(v.sync)]);
}

export function encodeTimeout(t: TimeoutMessage): Uint8Array {
  return RLP.encode([
    int(t.round),
    qcFields(t.highQc),
    int(t.signer),
    t.signature,
    t.highTc ? tcFields(t.highTc) : EMPTY,
  ]);
}

export function encodeProposal(p: Proposal): Uint8Array {
  return RLP.encode([encodeBlock(p.block), p.signature, p.tc ? tcFields(p.tc) : EMPTY]);
}

export function encodeSafetyData(s: SafetyData): Uint8Array {
  return RLP.encode([
    int(s.lastVotedRound),
    int(s.highestTimeoutRound),
    qcFields(s.highQc),
    s.highTc ? tcFields(s.highTc) : EMPTY,
    (s.blocks ?? []).map(encodeBlock),
  ]);
}

// ---- decoding ----

function fail(message: string): never {
  throw new ConsensusError('MALFORMED_MESSAGE', message);
}

/** A block inside a message: its ChainError becomes this codec's own typed error. */
function decodeBlock(bytes: Uint8Array, maxTransactions?: number) {
  try {
    return decodeChainBlock(bytes, maxTransactions);
  } catch (e) {
    throw new ConsensusError('MALFORMED_MESSAGE', `block: ${(e as Error).message}`, { cause: e });
  }
}

function bytes(v: Nested | undefined, name: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${name} must be a byte string`);
  if (length !== undefined && v.length !== length) fail(`${name} must be ${length} bytes`);
  return v;
}

function list(v: Nested | undefined, name: string, length?: number): Nested[] {
  if (!Array.isArray(v)) fail(`${name} must be a list`);
  if (length !== undefined && v.length !== length) fail(`${name} must have ${length} items`);
  return v;
}

function num(v: Nested | undefined, name: string): number {
  const b = bytes(v, name);
  if (b.length > 6) fail(`${name} is too large`);
  if (b.length > 0 && b[0] === 0)
    throw new ConsensusError('NON_CANONICAL_MESSAGE', `${name} has leading zeros`);
  let value = 0;
  for (const x of b) value = value * 256 + x; // at most 6 bytes: exact in a double
  return value;
}

function signature(v: Nested | undefined, name: string): Uint8Array {
  const b = bytes(v, name);
  if (b.length === 0 || b.length > 96) fail(`${name} has a bad length`);
  return b;
}

function increasing(signers: number[], name: string): void {
  for (let i = 1; i < signers.length; i++) {
    if (signers[i] <= signers[i - 1]) fail(`${name} signers must be strictly increasing`);
  }
}

function qcFrom(v: Nested | undefined): QuorumCertificate {
  const [round, blockId, entries] = list(v, 'qc', 3);
  const signers: number[] = [];
  const signatures: Uint8Array[] = [];
  for (const e of list(entries, 'qc signatures')) {
    const [s, sig] = list(e, 'qc signature entry', 2);
    signers.push(num(s, 'qc signer'));
    signatures.push(signature(sig, 'qc signature'));
  }
  increasing(signers, 'qc');
  return { round: num(round, 'qc round'), blockId: bytes(blockId, 'qc blockId', 32), signers, signatures };
}

function tcFrom(v: Nested | undefined): TimeoutCertificate {
  const [round, qc, entries] = list(v, 'tc', 3);
  const signers: number[] = [];
  const highQcRounds: number[] = [];
  const signatures: Uint8Array[] = [];
  for (const e of list(entries, 'tc signatures')) {
    const [s, r, sig] = list(e, 'tc signature entry', 3);
    signers.push(num(s, 'tc signer'));
    highQcRounds.push(num(r, 'tc highQcRound'));
    signatures.push(signature(sig, 'tc signature'));
  }
  increasing(signers, 'tc');
  return { round: num(round, 'tc round'), highQc: qcFrom(qc), signers, highQcRounds, signatures };
}

function optionalTc(v: Nested | undefined): TimeoutCertificate | undefined {
  if (v instanceof Uint8Array) {
    if (v.length !== 0) fail('tc must be a list or empty');
    return undefined;
  }
  return tcFrom(v);
}

/**
 * The deepest message is a vote: vote > sync > tc > qc > signatures > entry. Items: a
 * genesis has at most 256 validators, so a TC holds at most 256 entries of 4 items and its
 * QC 256 of 3; twice that and some is far above any honest message.
 */
const MESSAGE_BOUNDS: RlpBounds = { maxDepth: 6, maxItems: 4 * 1024 };
/**
 * Safety data is this node's own file; the depth bound is what keeps a damaged one cheap.
 * Its (legacy, inline) block list has no bound of its own.
 */
const SAFETY_DATA_BOUNDS: RlpBounds = { maxDepth: 5, maxItems: Number.MAX_SAFE_INTEGER };

function decodeCanonical<T>(
  input: Uint8Array,
  parse: (n: Nested) => T,
  encode: (t: T) => Uint8Array,
  bounds: RlpBounds = MESSAGE_BOUNDS,
): T {
  let decoded: Nested;
  try {
    decoded = decodeRlp(input, bounds);
  } catch (e) {
    fail(`invalid RLP: ${(e as Error).message}`);
  }
  const value = parse(decoded);
  if (!equalBytes(encode(value), input)) throw new ConsensusError('NON_CANONICAL_MESSAGE', 'not canonical');
  return value;
}

export function decodeQc(input: Uint8Array): QuorumCertificate {
  return decodeCanonical(input, qcFrom, encodeQc);
}

export function decodeTc(input: Uint8Array): TimeoutCertificate {
  return decodeCanonical(input, tcFrom, encodeTc);
}

export function decodeVote(input: Uint8Array): Vote {
  return decodeCanonical(
    input,
    (n) => {
      const [round, blockId, signer, sig, sync] = list(n, 'vote', 5);
      const [qc, tc] = list(sync, 'sync', 2);
      return {
        round: num(round, 'round'),
        blockId: bytes(blockId, 'blockId', 32),
        signer: num(signer, 'signer'),
        signature: signature(sig, 'signature'),
        sync: { highQc: qcFrom(qc), highTc: optionalTc(tc) },
      };
    },
    encodeVote,
  );
}

export function decodeTimeout(input: Uint8Array): TimeoutMessage {
  return decodeCanonical(
    input,
    (n) => {
      const [round, qc, signer, sig, tc] = list(n, 'timeout', 5);
      return {
        round: num(round, 'round'),
        highQc: qcFrom(qc),
        signer: num(signer, 'signer'),
        signature: signature(sig, 'signature'),
        highTc: optionalTc(tc),
      };
    },
    encodeTimeout,
  );
}

/** `maxTransactions` bounds the block's transactions decoded at all (see decodeBlock). */
export function decodeProposal(input: Uint8Array, maxTransactions?: number): Proposal {
  let blockBytes: Uint8Array = EMPTY;
  return decodeCanonical(
    input,
    (n) => {
      const [block, sig, tc] = list(n, 'proposal', 3);
      blockBytes = bytes(block, 'block');
      return {
        block: decodeBlock(blockBytes, maxTransactions),
        signature: signature(sig, 'signature'),
        tc: optionalTc(tc),
      };
    },
    // decodeBlock already held the block's bytes to its canonical encoding: re-encode the
    // proposal around those bytes rather than encode the whole block a second time
    (p) => RLP.encode([blockBytes, p.signature, p.tc ? tcFields(p.tc) : EMPTY]),
  );
}

export function decodeSafetyData(input: Uint8Array): SafetyData {
  return decodeCanonical(
    input,
    (n) => {
      const [lv, ht, qc, tc, blocks] = list(n, 'safety data', 5);
      return {
        lastVotedRound: num(lv, 'lastVotedRound'),
        highestTimeoutRound: num(ht, 'highestTimeoutRound'),
        highQc: qcFrom(qc),
        highTc: optionalTc(tc),
        blocks: list(blocks, 'blocks').map((b) => decodeBlock(bytes(b, 'block'))),
      };
    },
    encodeSafetyData,
    SAFETY_DATA_BOUNDS,
  );
}
