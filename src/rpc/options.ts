/** Bounds of the JSON-RPC endpoint (HTTP and WebSocket), with their defaults. */
export interface RpcOptions {
  /** Calls in one batch; ethers sends up to 100 by default, so this is well above. */
  maxBatchCalls: number;
  /**
   * Bytes of the answers of one batch; the calls after the answer that passes it are not run
   * and are answered LIMIT_EXCEEDED (as geth's --rpc.batch-response-max-size). Without it,
   * a batch of full blocks would build hundreds of megabytes.
   */
  maxBatchResponseBytes: number;
  /** Bytes of one HTTP request body or one WebSocket message. */
  maxRequestBytes: number;
  /**
   * Levels of JSON arrays and objects one request may nest (a batch of calls with access
   * lists needs 7). Checked before parsing: deep nesting makes JSON.parse build a chain of
   * arrays whose cost grows with the body, and the body is the only bound otherwise.
   */
  maxJsonDepth: number;
  /** Blocks eth_feeHistory covers in one call (as geth caps it). */
  maxFeeHistoryBlocks: number;
  /** Blocks eth_feeHistory covers when it computes reward percentiles (each reads a block's records). */
  maxFeeHistoryRewardBlocks: number;
  /** Percentiles one eth_feeHistory call may ask for. */
  maxRewardPercentiles: number;
  /** Priority fee eth_maxPriorityFeePerGas suggests, and eth_gasPrice adds to the base fee. */
  suggestedPriorityFeeWei: bigint;
  /** WebSocket connections open in all. */
  maxWebSocketConnections: number;
  /** Subscriptions one WebSocket connection may hold. */
  maxSubscriptionsPerConnection: number;
  /** Bytes a WebSocket connection may have queued unsent before it is closed (a slow reader). */
  maxWebSocketBufferedBytes: number;
  /** Messages per second one WebSocket connection may send, in bursts of twice that. */
  webSocketMessagesPerSecond: number;
  /** Messages of one connection waiting for the one in progress; more closes it. */
  maxWebSocketQueuedMessages: number;
  /** Blocks a newHeads subscription catches up in one go after a burst of commits. */
  maxHeadsPerNotification: number;
}

export const DEFAULT_RPC_OPTIONS: Readonly<RpcOptions> = Object.freeze({
  maxBatchCalls: 1000,
  // geth's default
  maxBatchResponseBytes: 25_000_000,
  maxRequestBytes: 2 * 1024 * 1024,
  maxJsonDepth: 32,
  maxFeeHistoryBlocks: 1024,
  maxFeeHistoryRewardBlocks: 128,
  maxRewardPercentiles: 100,
  suggestedPriorityFeeWei: 1_000_000_000n,
  maxWebSocketConnections: 64,
  maxSubscriptionsPerConnection: 16,
  maxWebSocketBufferedBytes: 4 * 1024 * 1024,
  webSocketMessagesPerSecond: 100,
  maxWebSocketQueuedMessages: 32,
  maxHeadsPerNotification: 64,
});
