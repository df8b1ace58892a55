export {
  checkTransferEncoding,
  decodeTransfer,
  encodeTransfer,
  MAX_TX_BYTES,
  signingHashOf,
  TX_TYPE,
} from './codec.js';
export { TxError, type TxErrorCode } from './errors.js';
export { recoverSender, signTransfer, withSender } from './sign.js';
export type { SignedTransfer, TransferFields, VerifiedTransfer } from './types.js';
export {
  CURRENCY_DECIMALS,
  CURRENCY_SYMBOL,
  formatUnits,
  formatUnitsExact,
  formatWei,
  MAX_AMOUNT_WEI,
  parseAmount,
  WEI_PER_UNIT,
} from './units.js';
