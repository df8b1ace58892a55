/**
 * Public surface of the Ethereum JSON-RPC endpoint (issue 13): the methods over an
 * RpcBackend, the JSON-RPC gate, the HTTP router and the WebSocket attachment.
 */
export type { RpcBackend, RpcBlock, RpcSubmitOutcome, RpcTransaction, RpcTxLocation } from './backend.js';
export { RPC_ERRORS, RpcError } from './errors.js';
export { blockObject, receiptObject, transactionObject } from './format.js';
export { createRpcRouter, sendRpcError } from './http.js';
export { createRpcMethods, type RpcMethod } from './methods.js';
export { DEFAULT_RPC_OPTIONS, type RpcOptions } from './options.js';
export {
  answerRpc,
  answerRpcText,
  nestsDeeperThan,
  type RpcDispatch,
  type RpcResponse,
} from './protocol.js';
export { attachRpcWebSocket, type RpcWebSocket, type RpcWebSocketConfig } from './ws.js';
