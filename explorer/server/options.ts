/**
 * Tunables of the HTTP API server, with units in names. Every bound on what one client
 * may cost the node is here; `ledger node` exposes the ones an operator needs as flags.
 */
export interface ApiServerOptions {
  /**
   * Token bucket per client address (an IPv6 client is its /64): sustained requests per
   * second, and the burst it may send at once. Requests over it get 429 with Retry-After.
   */
  requestsPerSecond: number;
  burstRequests: number;
  /** Requests of one client being read or answered at once; more get 429. */
  maxConcurrentRequestsPerClient: number;
  /** Open connections of one client; more are closed on arrival. */
  maxConnectionsPerClient: number;
  /** Clients whose buckets are remembered; the least recently seen idle one is forgotten. */
  maxTrackedClients: number;
  /**
   * Host header names this API answers to, besides `localhost`, any IP literal and the
   * host it is bound to (DNS rebinding: a browser sends the attacker's name there). '*'
   * answers any Host.
   */
  allowedHosts: string[];
  /** Open connections in all (server.maxConnections); more are closed on arrival. */
  maxConnections: number;
  /** Time to receive a request's headers, and the whole request with its body. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** How often the server checks connections against the two timeouts above. */
  connectionsCheckingIntervalMs: number;
  /**
   * Origins (`https://explorer.example.org`) whose web pages may read the API from a
   * browser (CORS); '*' allows any. Empty (the default): CORS is off, and preflights are
   * refused.
   */
  allowedOrigins: string[];
  /** Live event streams (GET /api/v1/events): open in all, and from one client; 429 beyond. */
  maxEventStreams: number;
  maxEventStreamsPerClient: number;
  /** How often a stream gets a comment line, so that proxies and clients see it alive. */
  eventKeepAliveMs: number;
  /** Most blocks a resuming stream is sent to catch up; further behind, it is told to reload. */
  maxEventBacklogBlocks: number;
  /** A stream whose client has not read its buffered events for this long is disconnected. */
  stalledStreamTimeoutMs: number;
  /** Transactions sent with each block event (the rest: GET /blocks/:height/txs). */
  eventBlockTxs: number;
  /**
   * Pending-transaction events are gathered and sent to every stream at most this often, in
   * one write per stream: a stream costs the node a write per flush, not per admission.
   */
  eventTxFlushMs: number;
  /** Pending-transaction events one flush carries; the rest of a burst is dropped (a preview). */
  maxEventTxsPerFlush: number;
}

/**
 * Defaults sized well above what `npm run bench` and a wallet send to one node from
 * 127.0.0.1, so that those are never refused, while one client still cannot hold more
 * than a small share of the server's connections and requests in progress.
 */
export const DEFAULT_API_SERVER_OPTIONS: ApiServerOptions = {
  requestsPerSecond: 1000,
  burstRequests: 2000,
  maxConcurrentRequestsPerClient: 32,
  maxConnectionsPerClient: 64,
  maxTrackedClients: 10_000,
  allowedHosts: [],
  maxConnections: 512,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  allowedOrigins: [],
  maxEventStreams: 256,
  maxEventStreamsPerClient: 8,
  eventKeepAliveMs: 15_000,
  maxEventBacklogBlocks: 500,
  stalledStreamTimeoutMs: 30_000,
  eventBlockTxs: 50,
  eventTxFlushMs: 250,
  maxEventTxsPerFlush: 50,
};

export function apiServerOptions(overrides: Partial<ApiServerOptions> = {}): ApiServerOptions {
  const options = { ...DEFAULT_API_SERVER_OPTIONS };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  return options;
}
