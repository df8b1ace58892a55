/**
 * Quorum certificates as a client checks them: the verdict is src/consensus's own
 * `verifyQuorumCertificate` (the one rule every node applies); the checks before it only
 * name the fault, so a wallet can say what was forged rather than "invalid".
 */
import {
  decodeQc,
  type QuorumCertificate,
  quorumSize,
  type ValidatorSet,
  type Verifier,
  verifyQuorumCertificate,
  voteDigest,
} from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { ClientError } from './errors.js';

/** The block a QC must certify: its id (hashHeader) and its round. */
export interface CertifiedTarget {
  blockId: Uint8Array;
  round: number;
}

/** Decodes QC bytes; refuses anything but the one canonical encoding (MALFORMED_QC). */
export function decodeCertificate(bytes: Uint8Array, what = 'the QC'): QuorumCertificate {
  try {
    return decodeQc(bytes);
  } catch (err) {
    throw new ClientError('MALFORMED_QC', `${what} does not decode: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Refuses a QC that names another block or round than `target` (no signature is checked). */
export function checkCertificateNames(qc: QuorumCertificate, target: CertifiedTarget, what = 'the QC'): void {
  if (!equalBytes(qc.blockId, target.blockId))
    throw new ClientError(
      'QC_WRONG_BLOCK',
      `${what} certifies block ${toHex(qc.blockId)}, not ${toHex(target.blockId)}`,
    );
  if (qc.round !== target.round)
    throw new ClientError(
      'QC_WRONG_ROUND',
      `${what} is of round ${qc.round}, the block of round ${target.round}`,
    );
}

/**
 * Checks that `qc` certifies `target`: it names the block and its round, and a quorum of
 * distinct validators of the genesis set signed voteDigest(domain, round, blockId) (the domain: chain id and genesis id).
 * Throws ClientError with the code of the first fault found.
 */
export function checkQuorumCertificate(
  qc: QuorumCertificate,
  target: CertifiedTarget,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  what = 'the QC',
): void {
  checkCertificateNames(qc, target, what);
  if (qc.round === 0) {
    // genesis is certified by definition: round 0, the genesis id, no signatures
    if (verifyQuorumCertificate(qc, validatorSet, verifier)) return;
    throw new ClientError(
      'QC_WRONG_BLOCK',
      `${what} is of round 0, which certifies only the genesis block, with no signatures`,
    );
  }
  if (qc.signers.length !== qc.signatures.length)
    throw new ClientError(
      'MALFORMED_QC',
      `${what} has ${qc.signers.length} signers but ${qc.signatures.length} signatures`,
    );
  const n = validatorSet.validators.length;
  const seen = new Set<number>();
  for (const [i, signer] of qc.signers.entries()) {
    if (!Number.isInteger(signer) || signer < 0 || signer >= n)
      throw new ClientError('UNKNOWN_SIGNER', `${what} is signed by validator ${signer}; genesis has ${n}`);
    if (seen.has(signer))
      throw new ClientError('DUPLICATE_SIGNER', `${what} counts validator ${signer} twice`);
    if (i > 0 && signer < qc.signers[i - 1])
      throw new ClientError('MALFORMED_QC', `${what} does not list its signers in increasing order`);
    seen.add(signer);
  }
  // every genesis validator has power 1 (src/genesis), so power is the count of signers
  const quorum = quorumSize(n);
  if (seen.size < quorum)
    throw new ClientError(
      'INSUFFICIENT_POWER',
      `${what} has ${seen.size} signers; a quorum of the ${n} validators is ${quorum}`,
    );
  if (verifyQuorumCertificate(qc, validatorSet, verifier)) return;
  throw new ClientError('BAD_SIGNATURE', `${what}: ${badSignatureOf(qc, validatorSet, verifier)}`);
}

/** Decodes and checks QC bytes (decodeCertificate, then checkQuorumCertificate). */
export function verifyCertificateBytes(
  bytes: Uint8Array,
  target: CertifiedTarget,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  what = 'the QC',
): QuorumCertificate {
  const qc = decodeCertificate(bytes, what);
  checkQuorumCertificate(qc, target, validatorSet, verifier, what);
  return qc;
}

/** Which signature failed, for the message; only called once the QC has been refused. */
function badSignatureOf(qc: QuorumCertificate, validatorSet: ValidatorSet, verifier: Verifier): string {
  const digest = voteDigest(validatorSet, qc.round, qc.blockId);
  const bad = qc.signers.find((s, i) => !verifier.verify(digest, qc.signatures[i], s));
  return bad === undefined
    ? 'its signatures do not verify'
    : `the signature of validator ${bad} does not verify over this chain's vote digest`;
}
