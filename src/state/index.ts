export {
  ACCOUNT_BYTES,
  type AccountChange,
  type AccountReader,
  AccountState,
  addressKey,
  decodeAccount,
  EMPTY_ACCOUNT,
  encodeAccount,
  writeAccount,
} from './accounts.js';
export { type StateErrorCode, StateTransitionError } from './errors.js';
export {
  applyBlock,
  type BlockOutcome,
  checkTransfer,
  type ExecutableBlock,
  effectiveGasPrice,
} from './transition.js';
export { type Account, type Receipt, type StateParams, TRANSFER_GAS } from './types.js';
