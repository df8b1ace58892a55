/** Public surface of the consensus subsystem (pure core, driver, certificates, codecs). */
export {
  genesisQc,
  maxHighQcRound,
  verifyQuorumCertificate,
  verifyTimeoutCertificate,
} from './certificates.js';
export {
  CONSENSUS_DIGEST_TAG,
  decodeProposal,
  decodeQc,
  decodeSafetyData,
  decodeTc,
  decodeTimeout,
  decodeVote,
  encodeProposal,
  encodeQc,
  encodeSafetyData,
  encodeTc,
  encodeTimeout,
  encodeVote,
  proposalDigest,
  type SigningDomain,
  timeoutDigest,
  voteDigest,
} from './codec.js';
export {
  ConsensusCore,
  type CoreConfig,
  type CoreInit,
  type CoreStatus,
  DEFAULT_MAX_FUTURE_ROUNDS,
  historyEntry,
  type RetainedCounts,
} from './core.js';
export {
  type BlockApplication,
  type BroadcastOptions,
  type Clock,
  ConsensusDriver,
  type ConsensusMessage,
  type DriverPorts,
  type PayloadCheck,
  type PayloadRequest,
  type SafetyStore,
  type Transport,
} from './driver.js';
export { ConsensusError, type ConsensusErrorCode } from './errors.js';
export { committedInRound, defaultReputation, leaderForRound, type ReputationConfig } from './leader.js';
export {
  type CommitRuling,
  jolteonRules,
  type RepeatKind,
  type SafetyRules,
  type SignedRounds,
  type VoteCandidate,
} from './rules.js';
export { type Signer, secp256k1Signer, secp256k1Verifier, type Verifier } from './signing.js';
export * from './types.js';
