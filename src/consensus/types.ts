/**
 * Consensus message, certificate, event and action types (docs/PROTOCOL.md).
 * Every type here is plain data: the core never mutates a value it received.
 */
import type { Block, BlockHeader } from '../chain/types.js';
import type { Address } from '../crypto/keys.js';
import type { ConsensusError } from './errors.js';

export interface ValidatorInfo {
  address: Address;
  /** 33- or 65-byte secp256k1 public key (unused by the test signature scheme). */
  publicKey: Uint8Array;
}

/** The fixed, genesis-defined set of validators; index = position in `validators`. */
export interface ValidatorSet {
  chainId: bigint;
  /** hashHeader(genesis header): the root, certified by definition. */
  genesisId: Uint8Array;
  validators: ValidatorInfo[];
}

/** Quorum certificate: 2f+1 distinct validators voted for `blockId` in `round`. */
export interface QuorumCertificate {
  round: number;
  blockId: Uint8Array;
  /** Strictly increasing validator indexes. */
  signers: number[];
  signatures: Uint8Array[];
}

/** Timeout certificate: 2f+1 distinct validators timed out in `round`. */
export interface TimeoutCertificate {
  round: number;
  /** The highest QC among the signers' reported ones; its round is max(highQcRounds). */
  highQc: QuorumCertificate;
  /** Strictly increasing validator indexes. */
  signers: number[];
  /** The highest QC round each signer reported (it is part of what each one signed). */
  highQcRounds: number[];
  signatures: Uint8Array[];
}

export interface SyncInfo {
  highQc: QuorumCertificate;
  highTc?: TimeoutCertificate;
}

export interface Proposal {
  block: Block;
  /** Signature of the proposer over proposalDigest(domain, round, blockId). */
  signature: Uint8Array;
  /** Present when the previous round failed: the TC of round - 1. */
  tc?: TimeoutCertificate;
}

export interface Vote {
  round: number;
  blockId: Uint8Array;
  signer: number;
  /** Signature over voteDigest(domain, round, blockId). */
  signature: Uint8Array;
  sync: SyncInfo;
}

export interface TimeoutMessage {
  round: number;
  /** The sender's highest QC; it signs (round, highQc.round). */
  highQc: QuorumCertificate;
  signer: number;
  signature: Uint8Array;
  highTc?: TimeoutCertificate;
}

/** What must be durable before a vote or timeout leaves the node. */
export interface SafetyData {
  lastVotedRound: number;
  highestTimeoutRound: number;
  highQc: QuorumCertificate;
  highTc?: TimeoutCertificate;
  /**
   * The uncommitted blocks from the committed tip up to the voted block and the high QC's
   * block: certified blocks must survive a crash of all their voters, or no one could
   * extend the high QC again.
   */
  blocks?: Block[];
}

/** Two signed messages from one validator for one round that contradict each other. */
export type Evidence =
  | { kind: 'proposal'; round: number; validator: number; first: Proposal; second: Proposal }
  | { kind: 'vote'; round: number; validator: number; first: Vote; second: Vote };

export interface Payload {
  /** The parent the payload was built on (its state root depends on it). */
  parentId: Uint8Array;
  transactions: Uint8Array[];
  txRoot: Uint8Array;
  stateRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  timestampMs: number;
}

/**
 * What proves the last committed block D committed (docs/PROTOCOL.md "Commit"): its child
 * C, one round after D, whose parentQc is D's certificate, and the QC certifying C.
 */
export interface CommitProofOf {
  child: BlockHeader;
  childQc: QuorumCertificate;
}

export interface CommittedBlock {
  id: Uint8Array;
  block: Block;
}

/** A certified block above the committed tip, with its id. */
export type CertifiedBlock = CommittedBlock;

/** A committed block and its history entry, what leader reputation reads. */
export interface HistoryEntry {
  round: number;
  /** Validator index of the proposer (-1 if unknown). */
  proposer: number;
  /** Signers of the QC in the block's header (the votes for its parent). */
  signers: number[];
}

export type ConsensusEvent =
  | { type: 'start' }
  | { type: 'proposal'; from: number; proposal: Proposal }
  | { type: 'vote'; from: number; vote: Vote }
  | { type: 'timeout'; from: number; timeout: TimeoutMessage }
  | { type: 'tick' }
  | { type: 'payloadReady'; round: number; payload: Payload }
  | { type: 'payloadValidated'; blockId: Uint8Array; valid: boolean }
  | { type: 'blockFetched'; block: Block }
  | { type: 'safetyPersisted'; seq: number };

export type ConsensusAction =
  | { type: 'broadcastProposal'; proposal: Proposal }
  | { type: 'sendVote'; to: number; vote: Vote }
  /** `repeat`: the same timeout was broadcast before (see Transport.broadcast). */
  | { type: 'broadcastTimeout'; timeout: TimeoutMessage; repeat?: true }
  | { type: 'persistSafety'; seq: number; data: SafetyData }
  | { type: 'commit'; blocks: CommittedBlock[]; certificate: QuorumCertificate; proof?: CommitProofOf }
  | { type: 'fetchBlock'; blockId: Uint8Array; from: number }
  /** `ancestors`: the certified blocks between the committed tip and `parent`, oldest first. */
  | {
      type: 'requestPayload';
      round: number;
      parentId: Uint8Array;
      parent: Block;
      height: number;
      ancestors: CertifiedBlock[];
    }
  | { type: 'validatePayload'; blockId: Uint8Array; block: Block; parent: Block; ancestors: CertifiedBlock[] }
  | { type: 'setTimer'; atMs: number }
  | { type: 'evidence'; evidence: Evidence }
  /** [S3] The core stopped for good: signing again could double-sign (DOUBLE_SIGN_RISK). */
  | { type: 'halt'; error: ConsensusError };

// Quorum arithmetic has one definition, next to the validator set it is computed for.
export { faultTolerance as maxFaulty, quorumSize } from '../genesis/quorum.js';
