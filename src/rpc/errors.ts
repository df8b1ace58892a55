/**
 * JSON-RPC error objects. The codes are JSON-RPC 2.0's (-32700 .. -32603) and the ones
 * Ethereum clients read (EIP-1474 and the execution-apis error groups): -32000 for a
 * refused transaction or an unavailable state, -32005 for a limit, -32004 for a feature this
 * chain does not have. Clients such as ethers recognise a refusal by its message text
 * ("nonce too low", "insufficient funds ..."), so those messages keep Ethereum's wording.
 */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** A transaction refused, or a state this node cannot answer for. */
  SERVER_ERROR: -32000,
  /** A method or parameter this chain has no use for (contracts, data). */
  UNSUPPORTED: -32004,
  /** A request over a limit (batch size, range, subscriptions). */
  LIMIT_EXCEEDED: -32005,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const invalidParams = (message: string) => new RpcError(RPC_ERRORS.INVALID_PARAMS, message);
