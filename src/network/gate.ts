/**
 * The one validation gate for everything peers send (DESIGN.md principle 3). Three layers,
 * as in Lodestar:
 * 1. validation functions (`validateProposal`, ...) that return the decoded message or
 *    throw a GateError carrying IGNORE or REJECT; each check names the rule it enforces;
 * 2. a handler per message kind (network.ts, direct.ts) that calls them;
 * 3. `Gate.run`, the single place that turns a thrown error into the verdict accept /
 *    ignore / reject and counts it. Errors that are not GateErrors become ignore.
 *
 * Checks run cheapest first: size, decoding, chain id, signer, round window, leader and
 * height, then signatures and certificates. Certificates that ride along on votes and
 * timeouts outside their signature are verified only when they would raise this node's
 * own highest QC/TC, and verdicts are remembered per certificate digest, so a message
 * re-sent with other (genuine, old) certificates costs no new verification. Transaction signatures are NOT checked here: the mempool
 * recovers each sender once on admission (DESIGN.md principle 5), which network.ts runs
 * as the last step of a batch's gate, so a batch holding a transaction that can never be
 * valid (forged signature, high s, ...) is rejected (INVALID_TX) and costs its sender.
 */
import { decodeBlock, hashHeader } from '../chain/codec.js';
import { merkleRoot, txHashes } from '../chain/index.js';
import type { Block, BlockHeader } from '../chain/types.js';
import {
  type ConsensusMessage,
  decodeProposal,
  decodeQc,
  decodeTimeout,
  decodeVote,
  encodeQc,
  encodeTc,
  type Proposal,
  proposalDigest,
  type QuorumCertificate,
  type SyncInfo,
  type TimeoutCertificate,
  type TimeoutMessage,
  timeoutDigest,
  type ValidatorSet,
  type Verifier,
  type Vote,
  verifyQuorumCertificate,
  verifyTimeoutCertificate,
  voteDigest,
} from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { LedgerError } from '../errors.js';
import { decodeTransfer, MAX_TX_BYTES, type SignedTransfer, TxError } from '../tx/index.js';
import { type CompactProposal, type DirectKind, decodeCompactProposal, decodeTxBatch } from './encoding.js';
import { GateError, type GateErrorCode, ignore, reject } from './errors.js';
import type { MessageKind, NetworkLogger, NetworkMetrics } from './interface.js';
import {
  TIMEOUTS_PER_SIGNER_ROUND,
  type TimeoutSighting,
  type TimeoutSightings,
} from './timeout-sightings.js';
import type { CertificateVerdicts } from './verifier-cache.js';

/** Size bounds: no honest node sends a message larger than these. */
export interface MessageLimits {
  proposalBytes: number;
  timeoutBytes: number;
  voteBytes: number;
  blockBytes: number;
  maxBlockTxs: number;
  batchBytes: number;
  batchMaxTxs: number;
}

export interface GateContext {
  validatorSet: ValidatorSet;
  verifier: Verifier;
  /** 0x-hex address -> validator index. */
  addressIndex: ReadonlyMap<string, number>;
  limits: MessageLimits;
  /** This node's round (the core's, or the committed tip's while consensus is stopped). */
  currentRound?: () => number;
  maxPastRounds: number;
  maxFutureRounds: number;
  /**
   * The leader of a round as this node computes it, or undefined when it cannot tell (no
   * running consensus): a proposal from anyone else is ignored.
   */
  leaderOf?: (round: number) => number | undefined;
  /** The committed tip's height and round: bounds a proposal's height. */
  committed?: () => { height: number; round: number };
  /** Rounds of this node's highest QC and TC: a piggybacked certificate must beat them. */
  highestCertified?: () => { qcRound: number; tcRound: number } | undefined;
  /** Positive verdicts per certificate digest (verifier-cache.ts). */
  certificates?: CertificateVerdicts;
  /** The distinct timeouts accepted per signer and round (timeout-sightings.ts). */
  timeouts?: TimeoutSightings;
}

/** Bounds derived from genesis: a block may be as large as maxBlockBytes, plus its certificates. */
export function messageLimits(
  n: number,
  maxBlockBytes: number,
  maxBlockTxs: number,
  batchMaxTxs: number,
  batchMaxBytes: number,
): MessageLimits {
  // A QC or TC entry is at most ~ 1 + 4 + 2 + 4 + 1 + 96 bytes; 128 per signer per certificate.
  const certificates = 4096 + 3 * 128 * n;
  return {
    proposalBytes: maxBlockBytes + certificates,
    timeoutBytes: certificates,
    voteBytes: certificates,
    blockBytes: maxBlockBytes,
    maxBlockTxs,
    batchBytes: Math.max(batchMaxBytes, MAX_TX_BYTES) + 16 + batchMaxTxs * 4,
    batchMaxTxs,
  };
}

export interface Accepted<T> {
  /** The validator the message is attributed to (its signer), when there is one. */
  from: number;
  message: T;
  /**
   * Use it here, but do not forward it: [forward] it carries a certificate this node
   * neither verified nor knows (one that does not raise its own, [piggyback]), which a
   * peer whose certificate it would raise verifies, and would blame this node for a
   * forgery; or [timeout-flood] it is another encoding of a timeout already accepted.
   */
  localOnly?: true;
}

// ---------------------------------------------------------------- shared checks

function checkSize(data: Uint8Array, max: number, what: string): void {
  // [size] honest nodes never exceed the genesis-derived bound
  if (data.length > max) throw reject('OVERSIZE', `${what} of ${data.length} bytes exceeds ${max}`);
}

function decodeWith<T>(decode: (b: Uint8Array) => T, data: Uint8Array, what: string): T {
  try {
    return decode(data);
  } catch (e) {
    // [decode] one canonical encoding per message (docs/PROTOCOL.md); anything else is forged or broken
    throw reject('MALFORMED', `${what}: ${(e as Error).message}`);
  }
}

function checkSigner(ctx: GateContext, signer: number): void {
  // [signer] signatures come from genesis validators only
  if (!Number.isSafeInteger(signer) || signer < 0 || signer >= ctx.validatorSet.validators.length)
    throw reject('UNKNOWN_SIGNER', `signer ${signer} is not a validator`);
}

/** [window] relative to this node's round; `justified` is the round the message's certificates allow. */
function checkRoundWindow(ctx: GateContext, round: number, justified: number): void {
  if (ctx.currentRound === undefined) return;
  const local = ctx.currentRound();
  // [window-past] far below the local round: useless here and to peers at least as far along
  if (round + ctx.maxPastRounds < local) throw ignore('STALE_ROUND', `round ${round} < ${local} - window`);
  // [window-future] far ahead and not justified by its own certificates: a lagging node may
  // still act on a justified message (it carries the certificates to catch up, [P5])
  if (round > local + ctx.maxFutureRounds && round > justified + 1)
    throw ignore('FUTURE_ROUND', `round ${round} is far above ${local}`);
}

/** A digest of a certificate's whole encoding: two certificates share it only if equal. */
const certificateDigest = (tag: string, encoded: Uint8Array): string =>
  `${tag}:${Buffer.from(sha256(encoded)).toString('base64')}`;

function checkQc(ctx: GateContext, qc: QuorumCertificate, what: string): void {
  if (qc.round === 0 && verifyQuorumCertificate(qc, ctx.validatorSet, ctx.verifier)) return;
  const digest = ctx.certificates && certificateDigest('qc', encodeQc(qc));
  if (digest !== undefined && ctx.certificates!.has(digest)) return;
  // [certificate] q distinct validators' vote signatures, or the genesis QC
  if (!verifyQuorumCertificate(qc, ctx.validatorSet, ctx.verifier))
    throw reject('BAD_CERTIFICATE', `${what}: QC of round ${qc.round} does not verify`);
  if (digest !== undefined) ctx.certificates!.add(digest);
}

/** A TC this node verified before (only known with a verdict cache). */
function isKnownTc(ctx: GateContext, tc: TimeoutCertificate): boolean {
  return ctx.certificates?.has(certificateDigest('tc', encodeTc(tc))) === true;
}

function checkTc(ctx: GateContext, tc: TimeoutCertificate, what: string): void {
  const digest = ctx.certificates && certificateDigest('tc', encodeTc(tc));
  if (digest !== undefined && ctx.certificates!.has(digest)) return;
  // [certificate] q distinct validators' timeout signatures and a valid high QC
  const verifyQc = (qc: QuorumCertificate): boolean => {
    checkQc(ctx, qc, what);
    return true;
  };
  if (!verifyTimeoutCertificate(tc, ctx.validatorSet, ctx.verifier, verifyQc))
    throw reject('BAD_CERTIFICATE', `${what}: TC of round ${tc.round} does not verify`);
  if (digest !== undefined) ctx.certificates!.add(digest);
}

/**
 * [piggyback] Certificates outside a message's signature prove themselves, but only one
 * that raises this node's highest QC/TC changes anything here (the core applies no other):
 * the rest are not verified, so re-sending one signed message with many genuine old
 * certificates costs nothing. Without the core's figures (no consensus), all are verified.
 */
function raises(ctx: GateContext, cert: 'qc' | 'tc', round: number): boolean {
  const high = ctx.highestCertified?.();
  if (high === undefined) return true;
  return round > (cert === 'qc' ? high.qcRound : high.tcRound);
}

function checkSync(ctx: GateContext, sync: SyncInfo, what: string): void {
  if (raises(ctx, 'qc', sync.highQc.round)) checkQc(ctx, sync.highQc, what);
  if (sync.highTc && raises(ctx, 'tc', sync.highTc.round)) checkTc(ctx, sync.highTc, what);
}

function checkSignature(
  ctx: GateContext,
  digest: Uint8Array,
  signature: Uint8Array,
  signer: number,
  what: string,
) {
  // [signature] the named validator signed this exact content (chain id is in the digest)
  if (!ctx.verifier.verify(digest, signature, signer))
    throw reject('BAD_SIGNATURE', `${what}: signature of validator ${signer} does not verify`);
}

// ---------------------------------------------------------------- per kind

export function validateProposal(ctx: GateContext, data: Uint8Array): Accepted<Proposal> {
  checkSize(data, ctx.limits.proposalBytes, 'proposal');
  // [size] the chain's maxBlockTxs bounds what is decoded at all, not only what is accepted
  const p = decodeWith((b) => decodeProposal(b, ctx.limits.maxBlockTxs), data, 'proposal');
  const from = checkProposal(ctx, p.block.header, p.block.transactions.length, p.signature, p.tc);
  checkTxRoot(p.block, 'proposal');
  return { from, message: p };
}

/**
 * [body] The signatures and certificates bind a block's header only: anyone relaying a
 * block can swap its transactions. The core keeps the first copy of a block id it gets,
 * and a node that commits a swapped copy stops with diverged state, so a body must match
 * its header's txRoot before the block goes any further.
 */
function checkTxRoot(block: Block, what: string): void {
  if (!equalBytes(merkleRoot(txHashes(block)), block.header.txRoot))
    throw reject('BAD_TX_ROOT', `${what}: the transactions do not hash to the header's txRoot`);
}

/**
 * A gossiped proposal (transactions by hash, encoding.ts): the same checks as a full one.
 * That the hashes match the header's txRoot is checked once the bodies are assembled
 * (assembly.ts), like the rest of the block's contents, by executing it.
 */
export function validateCompactProposal(ctx: GateContext, data: Uint8Array): Accepted<CompactProposal> {
  checkSize(data, ctx.limits.proposalBytes, 'proposal');
  const p = decodeCompactProposal(data, ctx.limits.maxBlockTxs);
  return { from: checkProposal(ctx, p.header, p.hashes.length, p.signature, p.tc), message: p };
}

/** The checks of a proposal that need no transaction bodies; returns the proposer. */
function checkProposal(
  ctx: GateContext,
  h: BlockHeader,
  txCount: number,
  signature: Uint8Array,
  tc: TimeoutCertificate | undefined,
): number {
  // [chainId] a block of another network
  if (h.chainId !== ctx.validatorSet.chainId) throw reject('WRONG_CHAIN', `proposal for chain ${h.chainId}`);
  // [V3] the proposer is a validator
  const proposer = ctx.addressIndex.get(toHex(h.proposer));
  if (proposer === undefined) throw reject('UNKNOWN_SIGNER', 'proposer is not a validator');
  // [size] at most maxBlockTxs transactions (genesis params)
  if (txCount > ctx.limits.maxBlockTxs) throw reject('OVERSIZE', `block with ${txCount} transactions`);
  // [round] round 0 is genesis only
  if (!Number.isSafeInteger(h.round) || h.round < 1) throw reject('BAD_ROUND', `proposal round ${h.round}`);
  const qc = decodeWith(decodeQc, h.parentQc, 'proposal header QC');
  // [V2] the header QC certifies the parent and is from an earlier round
  if (!equalBytes(qc.blockId, h.parentHash) || qc.round >= h.round)
    throw reject('BAD_CERTIFICATE', 'header QC does not certify the parent');
  // [V2] round r is justified by QC(r-1), or by TC(r-1) carried in the proposal
  if (tc ? tc.round + 1 !== h.round : qc.round + 1 !== h.round)
    throw reject('BAD_CERTIFICATE', `round ${h.round} is not justified by its certificates`);
  checkRoundWindow(ctx, h.round, h.round - 1);
  checkHeight(ctx, h);
  // [L1] only the round's leader proposes. A lagging node may compute another leader (its
  // reputation window differs), so this is ignored, never punished.
  const leader = ctx.leaderOf?.(h.round);
  if (leader !== undefined && leader !== proposer)
    throw ignore('NOT_LEADER', `validator ${proposer} does not lead round ${h.round} (${leader} does)`);
  const id = hashHeader(h);
  checkSignature(ctx, proposalDigest(ctx.validatorSet, h.round, id), signature, proposer, 'proposal');
  checkQc(ctx, qc, 'proposal');
  if (tc) checkTc(ctx, tc, 'proposal');
  return proposer;
}

/**
 * [height] A block extends the committed block (height hc, round rc), and every block's round
 * is above its parent's while its height is one more: so height <= hc + (round - rc). A
 * block at or below the committed round can never be committed. A node with an older
 * committed tip has a looser bound and may forward what this one drops: ignore, not reject.
 */
function checkHeight(ctx: GateContext, h: BlockHeader): void {
  // [height] genesis is height 0 and has no proposal
  if (!Number.isSafeInteger(h.height) || h.height < 1)
    throw reject('BAD_HEIGHT', `proposal height ${h.height}`);
  const c = ctx.committed?.();
  if (c === undefined) return;
  if (h.round <= c.round)
    throw ignore('STALE_ROUND', `round ${h.round} is not above the committed ${c.round}`);
  const max = c.height + (h.round - c.round);
  if (h.height > max)
    throw ignore(
      'BAD_HEIGHT',
      `height ${h.height} at round ${h.round} exceeds ${max} (committed ${c.height})`,
    );
}

export function validateTimeout(ctx: GateContext, data: Uint8Array): Accepted<TimeoutMessage> {
  checkSize(data, ctx.limits.timeoutBytes, 'timeout');
  const t = decodeWith(decodeTimeout, data, 'timeout');
  checkSigner(ctx, t.signer);
  // [P1] a node's round is above its high QC and high TC; round 0 is never timed out
  if (t.round < 1 || t.highQc.round >= t.round || (t.highTc !== undefined && t.highTc.round >= t.round))
    throw reject('BAD_ROUND', `timeout round ${t.round} is not above its certificates`);
  checkRoundWindow(ctx, t.round, Math.max(t.highQc.round, t.highTc?.round ?? 0));
  // [timeout-flood] a few signed contents per signer and round; a flood beyond them is
  // dropped before its signature is checked (only verified timeouts take a place)
  const signedContent = String(t.highQc.round);
  checkTimeoutSighting(ctx.timeouts?.hasRoom(t.signer, t.round, signedContent), t);
  // [P3] signed (round, highQc.round) under this chain id
  checkSignature(
    ctx,
    timeoutDigest(ctx.validatorSet, t.round, t.highQc.round),
    t.signature,
    t.signer,
    'timeout',
  );
  // the high QC's round is signed and a TC this node forms takes its high QC from one of
  // these: always verified (remembered per digest); the high TC only when it raises ours
  checkQc(ctx, t.highQc, 'timeout');
  let localOnly = false;
  if (t.highTc !== undefined) {
    if (raises(ctx, 'tc', t.highTc.round)) checkTc(ctx, t.highTc, 'timeout');
    else localOnly = !isKnownTc(ctx, t.highTc);
  }
  // [timeout-flood] of each signed content only the first encoding accepted is forwarded:
  // another one (a re-wrap) is used here, not passed on
  const sighting = ctx.timeouts?.admit(t.signer, t.round, signedContent, certificateDigest('timeout', data));
  checkTimeoutSighting(sighting, t);
  if (sighting === 'local') localOnly = true;
  return localOnly ? { from: t.signer, message: t, localOnly: true } : { from: t.signer, message: t };
}

function checkTimeoutSighting(sighting: TimeoutSighting | 'yes' | undefined, t: TimeoutMessage): void {
  if (sighting === 'over')
    throw ignore(
      'TIMEOUT_FLOOD',
      `validator ${t.signer} already has ${TIMEOUTS_PER_SIGNER_ROUND} other signed timeouts for round ${t.round}`,
    );
  if (sighting === 'untracked')
    throw ignore('STALE_ROUND', `round ${t.round} is below every round whose timeouts are tracked`);
}

/** A vote arrives on the direct protocol from `sender` (a validator index). */
export function validateVote(ctx: GateContext, data: Uint8Array, sender: number): Accepted<Vote> {
  checkSize(data, ctx.limits.voteBytes, 'vote');
  const v = decodeWith(decodeVote, data, 'vote');
  checkSigner(ctx, v.signer);
  // [V5] a validator sends its own vote to the next leader: the peer id proves who speaks
  if (v.signer !== sender) throw reject('NOT_FROM_SIGNER', `vote of ${v.signer} sent by ${sender}`);
  // [V1] votes are cast in the voter's current round, above its high QC
  if (v.round < 1 || v.sync.highQc.round >= v.round)
    throw reject('BAD_ROUND', `vote round ${v.round} is not above its QC`);
  checkRoundWindow(ctx, v.round, Math.max(v.sync.highQc.round, v.sync.highTc?.round ?? 0));
  checkSignature(ctx, voteDigest(ctx.validatorSet, v.round, v.blockId), v.signature, v.signer, 'vote');
  checkSync(ctx, v.sync, 'vote');
  return { from: sender, message: v };
}

export function validateBlockRequest(body: Uint8Array): Uint8Array {
  // [decode] a block id is a 32-byte sha256
  if (body.length !== 32) throw reject('MALFORMED', 'block request must carry a 32-byte id');
  return body;
}

export function validateBlockResponse(ctx: GateContext, body: Uint8Array): Block {
  checkSize(body, ctx.limits.blockBytes + 4096, 'block response');
  const block = decodeWith((b) => decodeBlock(b, ctx.limits.maxBlockTxs), body, 'block response');
  // [chainId] a block of another network
  if (block.header.chainId !== ctx.validatorSet.chainId)
    throw reject('WRONG_CHAIN', `block for chain ${block.header.chainId}`);
  // [size] at most maxBlockTxs transactions
  if (block.transactions.length > ctx.limits.maxBlockTxs) throw reject('OVERSIZE', 'block has too many txs');
  checkTxRoot(block, 'block response');
  // The core checks it asked for this block and links it into its tree (it keeps what it needs).
  return block;
}

/**
 * A batch of transactions: structure and chain id. Every transaction must decode
 * (decodeTransfer: type, canonical RLP, chain id, no data, low-s): the node that batched it
 * admitted it with the same deterministic decoder, so a failure is never honest. The
 * decoded transfers (hashed, sender not yet recovered) go on to admission, so each
 * transaction is decoded once per node.
 */
export function validateTxBatch(ctx: GateContext, data: Uint8Array): SignedTransfer[] {
  checkSize(data, ctx.limits.batchBytes, 'transaction batch');
  const raws = decodeTxBatch(data, ctx.limits.batchMaxTxs);
  // [batch] 1..batchMaxTxs transactions
  if (raws.length === 0 || raws.length > ctx.limits.batchMaxTxs)
    throw reject('BAD_BATCH', `batch of ${raws.length} transactions`);
  return raws.map((raw) => {
    try {
      return decodeTransfer(raw, ctx.validatorSet.chainId);
    } catch (e) {
      // [chainId] / [decode] each transaction is a canonical EIP-1559 transfer of this chain
      if (e instanceof TxError && e.code === 'WRONG_CHAIN_ID') throw reject('WRONG_CHAIN', e.message);
      throw reject('MALFORMED', `batched transaction: ${(e as Error).message}`);
    }
  });
}

/**
 * A direct frame's body of `kind` from validator `sender` (the peer id proves who speaks):
 * the same checks as the gossiped forms, and votes only from their signer.
 */
export function validateDirect(
  ctx: GateContext,
  kind: DirectKind,
  body: Uint8Array,
  sender: number,
): { from: number; message: ConsensusMessage } {
  switch (kind) {
    case 'vote':
      return { from: sender, message: { kind: 'vote', vote: validateVote(ctx, body, sender).message } };
    case 'blockRequest':
      return { from: sender, message: { kind: 'blockRequest', blockId: validateBlockRequest(body) } };
    case 'blockResponse':
      return { from: sender, message: { kind: 'blockResponse', block: validateBlockResponse(ctx, body) } };
    case 'proposal': {
      const p = validateProposal(ctx, body);
      return { from: p.from, message: { kind: 'proposal', proposal: p.message } };
    }
    case 'timeout': {
      const t = validateTimeout(ctx, body);
      return { from: t.from, message: { kind: 'timeout', timeout: t.message } };
    }
  }
}

/** Validates a gossiped timeout (proposals go through validateCompactProposal and assembly). */
export function validateGossipTimeout(ctx: GateContext, data: Uint8Array): Accepted<ConsensusMessage> {
  const { message, ...rest } = validateTimeout(ctx, data);
  return { ...rest, message: { kind: 'timeout', timeout: message } };
}

// ---------------------------------------------------------------- verdicts

export type Verdict<T> =
  | { verdict: 'accept'; value: T }
  | { verdict: 'ignore' | 'reject'; code: GateErrorCode; message: string };

/** The single place where errors become verdicts and verdicts become metrics. */
export class Gate {
  constructor(
    private readonly metrics: NetworkMetrics,
    private readonly logger: NetworkLogger,
  ) {}

  run<T>(kind: MessageKind, peer: string, validate: () => T): Verdict<T> {
    try {
      const value = validate();
      this.metrics.verdicts[kind].accepted++;
      return { verdict: 'accept', value };
    } catch (e) {
      const { action, code } =
        e instanceof GateError
          ? { action: e.action, code: e.code }
          : { action: 'ignore' as const, code: 'INTERNAL' as const };
      this.count(kind, action, code);
      const message = e instanceof Error ? e.message : String(e);
      if (code === 'INTERNAL' && !(e instanceof LedgerError)) {
        this.logger.warn({ kind, peer, err: message }, 'unexpected error in message validation');
      } else {
        this.logger.debug({ kind, peer, code, action }, message);
      }
      return { verdict: action, code, message };
    }
  }

  /** Counts a verdict reached outside `run` (e.g. a full inbound queue). */
  count(kind: MessageKind, action: 'ignore' | 'reject', code: GateErrorCode): void {
    if (action === 'reject') this.metrics.verdicts[kind].rejected++;
    else this.metrics.verdicts[kind].ignored++;
    this.metrics.gateErrors[code] = (this.metrics.gateErrors[code] ?? 0) + 1;
  }
}
