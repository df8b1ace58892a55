/**
 * Pure certificate checks, shared by the core, syncing nodes and wallets.
 * A QC is valid when it is the genesis QC (round 0, genesis id, no signatures) or carries
 * quorumSize(n) valid signatures of distinct validators over voteDigest(round, blockId).
 * A TC is valid when quorumSize(n) distinct validators signed timeoutDigest(round,
 * highQcRound_i), its highQc is a valid QC whose round is max(highQcRound_i), and every
 * reported highQcRound_i is below the TC's round.
 */
import { equalBytes } from '../crypto/bytes.js';
import { timeoutDigest, voteDigest } from './codec.js';
import type { Verifier } from './signing.js';
import { type QuorumCertificate, quorumSize, type TimeoutCertificate, type ValidatorSet } from './types.js';

export function genesisQc(genesisId: Uint8Array): QuorumCertificate {
  return { round: 0, blockId: genesisId, signers: [], signatures: [] };
}

function distinctInRange(signers: number[], n: number): boolean {
  for (let i = 0; i < signers.length; i++) {
    const s = signers[i];
    if (!Number.isInteger(s) || s < 0 || s >= n) return false;
    if (i > 0 && s <= signers[i - 1]) return false;
  }
  return true;
}

export function verifyQuorumCertificate(
  qc: QuorumCertificate,
  validatorSet: ValidatorSet,
  verifier: Verifier,
): boolean {
  const n = validatorSet.validators.length;
  if (qc.round === 0) {
    return equalBytes(qc.blockId, validatorSet.genesisId) && qc.signers.length === 0;
  }
  if (!Number.isSafeInteger(qc.round) || qc.round < 0) return false;
  if (qc.signers.length !== qc.signatures.length || qc.signers.length < quorumSize(n)) return false;
  if (!distinctInRange(qc.signers, n)) return false;
  const digest = voteDigest(validatorSet, qc.round, qc.blockId);
  for (let i = 0; i < qc.signers.length; i++) {
    if (!verifier.verify(digest, qc.signatures[i], qc.signers[i])) return false;
  }
  return true;
}

/** Checks the TC's own signatures; `verifyQc` checks its highQc (callers may cache it). */
export function verifyTimeoutCertificate(
  tc: TimeoutCertificate,
  validatorSet: ValidatorSet,
  verifier: Verifier,
  verifyQc: (qc: QuorumCertificate) => boolean = (qc) => verifyQuorumCertificate(qc, validatorSet, verifier),
): boolean {
  const n = validatorSet.validators.length;
  if (!Number.isSafeInteger(tc.round) || tc.round < 1) return false;
  const k = tc.signers.length;
  if (k !== tc.signatures.length || k !== tc.highQcRounds.length || k < quorumSize(n)) return false;
  if (!distinctInRange(tc.signers, n)) return false;
  let max = -1;
  for (const r of tc.highQcRounds) {
    if (!Number.isSafeInteger(r) || r < 0 || r >= tc.round) return false;
    if (r > max) max = r;
  }
  if (tc.highQc.round !== max) return false;
  for (let i = 0; i < k; i++) {
    const digest = timeoutDigest(validatorSet, tc.round, tc.highQcRounds[i]);
    if (!verifier.verify(digest, tc.signatures[i], tc.signers[i])) return false;
  }
  return verifyQc(tc.highQc);
}

export function maxHighQcRound(tc: TimeoutCertificate): number {
  let max = 0;
  for (const r of tc.highQcRounds) if (r > max) max = r;
  return max;
}
