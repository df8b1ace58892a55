/**
 * Proof of commit (docs/PROTOCOL.md "Commit" [C1]): a QC certifies a block, it does not
 * commit it, since a certified block can be abandoned when a TC extends an older QC. A
 * certified block D whose certified child C has C.round = D.round + 1 is committed, and
 * so is every ancestor of D. Block sync applies fetched ranges by this rule and a client
 * checks a node's answer by it: both call the functions here.
 *
 * A proof of commit of block B is B's header, the headers from B up to D (hash-linked),
 * C's header (whose parentQc certifies D) and the QC certifying C. Only the two QCs of
 * the 2-chain have their signatures checked: once D is committed, its hash binds its
 * parent hash, and so every header below it that honest validators checked when they
 * voted. The parentQc of each lower header is only checked to name its parent, which
 * keeps what one node can make a client verify to two certificates.
 */
import { type BlockHeader, hashHeader } from '../chain/index.js';
import type { QuorumCertificate, ValidatorSet, Verifier } from '../consensus/index.js';
import { equalBytes } from '../crypto/bytes.js';
import { checkCertificateNames, decodeCertificate, verifyCertificateBytes } from './certificate.js';
import { ClientError } from './errors.js';
import { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from './options.js';

/** [C1] the 2-chain rule: a certified child one round after its certified parent commits the parent. */
export function commitsParent(parent: { round: number }, child: { round: number }): boolean {
  return child.round === parent.round + 1;
}

/**
 * Index of the last header of a hash-linked, certified run that the run itself proves
 * committed (its child is in the run, one round later), or -1.
 */
export function lastCommittedIndex(run: readonly { round: number }[]): number {
  for (let i = run.length - 2; i >= 0; i--) if (commitsParent(run[i], run[i + 1])) return i;
  return -1;
}

/** Refuses `child` unless it is the next height on `parent` (id `parentId`). */
export function checkHashLink(parent: BlockHeader, parentId: Uint8Array, child: BlockHeader): void {
  if (child.height !== parent.height + 1)
    throw new ClientError(
      'BROKEN_LINK',
      `block ${child.height} is presented as the child of block ${parent.height}`,
    );
  if (!equalBytes(child.parentHash, parentId))
    throw new ClientError('BROKEN_LINK', `block ${child.height} does not extend the block before it`);
}

export interface CommitProof {
  /** The block proven committed (B). */
  header: BlockHeader;
  /** B's descendants up to the committed block D, in height order; empty when D is B. */
  chain: BlockHeader[];
  /** C: D's child, one round after D; its parentQc certifies D. */
  child: BlockHeader;
  /** The encoded QC certifying C. */
  childQc: Uint8Array;
}

declare const verified: unique symbol;

/** A header this client has checked to be committed; only verifyCommitProof makes one. */
export interface VerifiedCommit {
  readonly [verified]: true;
  readonly header: BlockHeader;
  /** hashHeader(header). */
  readonly id: Uint8Array;
  readonly height: number;
  /** The QC certifying D (C's parentQc). */
  readonly committedQc: QuorumCertificate;
  /** The QC certifying C, which completes the 2-chain: its signers made D final. */
  readonly childQc: QuorumCertificate;
}

/**
 * Checks that `proof` shows `proof.header` committed, against the genesis validator set.
 * Throws ClientError: CHAIN_TOO_LONG, BROKEN_LINK, MALFORMED_QC, QC_WRONG_BLOCK,
 * QC_WRONG_ROUND, NOT_COMMITTED, UNKNOWN_SIGNER, DUPLICATE_SIGNER, INSUFFICIENT_POWER,
 * BAD_SIGNATURE.
 */
export function verifyCommitProof(
  proof: CommitProof,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
): VerifiedCommit {
  // bound the work first: one hash per header
  const headers = [proof.header, ...proof.chain];
  if (headers.length > options.maxCommitChainHeaders)
    throw new ClientError(
      'CHAIN_TOO_LONG',
      `the proof of commit of block ${proof.header.height} carries ${headers.length} headers up to the committed block; at most ${options.maxCommitChainHeaders}`,
    );
  const ids = headers.map(hashHeader);
  for (let i = 1; i < headers.length; i++) {
    checkHashLink(headers[i - 1], ids[i - 1], headers[i]);
    const what = `the parentQc of block ${headers[i].height}`;
    checkCertificateNames(
      decodeCertificate(headers[i].parentQc, what),
      {
        blockId: ids[i - 1],
        round: headers[i - 1].round,
      },
      what,
    );
  }
  const d = headers[headers.length - 1];
  const dId = ids[ids.length - 1];
  const c = proof.child;
  checkHashLink(d, dId, c);
  // [C1] the cheap check first: a certified block is committed only by a child one round later
  if (!commitsParent(d, c))
    throw new ClientError(
      'NOT_COMMITTED',
      `block ${d.height} (round ${d.round}) is certified but not committed by its child of round ${c.round}: a 2-chain needs round ${d.round + 1}`,
    );
  const committedQc = verifyCertificateBytes(
    c.parentQc,
    { blockId: dId, round: d.round },
    validatorSet,
    verifier,
    `the QC of block ${d.height}`,
  );
  const childQc = verifyCertificateBytes(
    proof.childQc,
    { blockId: hashHeader(c), round: c.round },
    validatorSet,
    verifier,
    `the QC of block ${c.height}`,
  );
  return {
    header: proof.header,
    id: ids[0],
    height: proof.header.height,
    committedQc,
    childQc,
  } as VerifiedCommit;
}
