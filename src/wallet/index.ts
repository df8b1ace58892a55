/**
 * Public surface of the wallet: a client of the node's HTTP API that trusts no single
 * node (every balance and commit it shows is verified by src/client against a local
 * genesis), its keystore, and the load generator. The `ledger wallet` command
 * (src/cli/commands/wallet.ts) is its one user interface.
 */
export {
  chainOf,
  DEVNET_FAUCET_PASSPHRASE,
  DEVNET_FAUCET_PATH,
  DEVNET_GENESIS_PATH,
  genesisHashHex,
  loadWalletChain,
  parseGenesisHash,
  type WalletChain,
} from './chain.js';
export {
  type NodeLie,
  toWalletError,
  WALLET_EXIT_CODES,
  WalletError,
  type WalletErrorCode,
  type WalletErrorDetails,
} from './errors.js';
export { NodeFault, type NodeFaultKind } from './http.js';
export {
  createKeystore,
  importKeystore,
  keystoreAddressOf,
  openKeystore,
  parsePrivateKey,
} from './keys.js';
export {
  checkLoadPlan,
  DEFAULT_LOAD_TUNING,
  type LoadPlan,
  type LoadReport,
  type PreparedLoad,
  prepareLoad,
  runLoad,
} from './load.js';
export type { AccountView, CommittedTxView, SubmitOutcome, TxStatusView } from './node-client.js';
export { type NodeEvent, NodeList, parseNodeList } from './nodes.js';
export { DEFAULT_WALLET_OPTIONS, type WalletOptions, walletOptions } from './options.js';
export { canPrompt, promptHidden } from './prompt.js';
export {
  type FinalCommit,
  type FinalTransfer,
  type HistoryPage,
  type NonceView,
  type Submitted,
  type TransferRequest,
  type TxLookup,
  type VerifiedBalance,
  Wallet,
  type WalletComponents,
} from './wallet.js';
