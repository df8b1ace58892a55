/**
 * Tunables of the node's Prometheus metrics, with units in names. Bucket bounds are the
 * only memory a histogram holds (one counter per bound per label set), so they are fixed
 * here rather than grown from what is observed.
 */
export interface MetricsOptions {
  /**
   * Bounds of ledger_commit_latency_seconds: a block from when this node first saw it
   * (built it, or received its proposal) to its commit. Rounds take a few hundred
   * milliseconds at the default timeout; a commit after timeouts takes seconds.
   */
  commitLatencyBucketsSeconds: number[];
  /** Bounds of ledger_block_execution_seconds: an empty block takes well under a millisecond. */
  blockExecutionBucketsSeconds: number[];
  /** Bounds of ledger_store_commit_seconds: from handing a block to lmdb to its write being durable. */
  storeCommitBucketsSeconds: number[];
  /**
   * Add prom-client's process metrics (CPU, memory, heap, event-loop lag, GC, handles) to
   * every scrape. They describe the process, so one set serves every node in it.
   */
  processMetrics: boolean;
  /**
   * A scrape this soon after the previous one is answered with the previous text: building
   * one costs the node about as much as a dozen API reads, so however many clients scrape,
   * the node builds at most one per interval. Prometheus scrapes every few seconds at most.
   */
  minScrapeIntervalMs: number;
}

export const DEFAULT_METRICS_OPTIONS: MetricsOptions = {
  commitLatencyBucketsSeconds: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30],
  blockExecutionBucketsSeconds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  storeCommitBucketsSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  processMetrics: true,
  minScrapeIntervalMs: 1000,
};

export function metricsOptions(overrides: Partial<MetricsOptions> = {}): MetricsOptions {
  const options = { ...DEFAULT_METRICS_OPTIONS };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  return options;
}
