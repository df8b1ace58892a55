/**
 * Public surface of the client verification library: pure checks a wallet runs on what a
 * node serves, against the validator set of a genesis document it holds. Block sync uses
 * the same certificate and commit rules (src/sync/verify.ts).
 */
export {
  type CertifiedTarget,
  checkCertificateNames,
  checkQuorumCertificate,
  decodeCertificate,
  verifyCertificateBytes,
} from './certificate.js';
export {
  type CommitProof,
  checkHashLink,
  commitsParent,
  lastCommittedIndex,
  type VerifiedCommit,
  verifyCommitProof,
} from './commit.js';
export { ClientError, type ClientErrorCode, printable } from './errors.js';
export {
  type AccountState,
  type ReceiptClaim,
  type TxInclusion,
  type VerifiedAccount,
  type VerifiedTx,
  type VerifiedTxReceipt,
  verifyAccountState,
  verifyTxInclusion,
  verifyTxReceipt,
} from './inclusion.js';
export {
  type AccountProofJson,
  type AccountStateJson,
  accountProofToJson,
  accountStateToJson,
  type CommitProofJson,
  type CommittedAccountProof,
  type CommittedTxProof,
  commitProofToJson,
  type HeaderJson,
  headerToJson,
  parseAccountProof,
  parseAccountState,
  parseCommitProof,
  parseHeader,
  parseReceipt,
  parseTxInclusion,
  parseTxProof,
  type ReceiptProofJson,
  receiptToJson,
  type TxInclusionJson,
  type TxProofJson,
  txInclusionToJson,
  txProofToJson,
} from './json.js';
export { type ClientOptions, DEFAULT_CLIENT_OPTIONS } from './options.js';
export { type ClientTrust, trustFromGenesis } from './trust.js';
export { verifyCommittedAccount, verifyCommittedTx } from './verify.js';
