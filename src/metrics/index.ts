/**
 * Public surface of the node's Prometheus metrics: a per-node registry over the counters
 * the subsystems keep (read at scrape time), the consensus trace and the block
 * application's event-time timings.
 */
export type {
  BlockObserver,
  CommitSource,
  ConsensusFigures,
  ConsensusStep,
  ConsensusView,
  ExecutionPhase,
  MemoryUpkeepFigures,
  MetricSources,
  SyncProgress,
} from './interface.js';
export { DEFAULT_METRICS_OPTIONS, type MetricsOptions, metricsOptions } from './options.js';
export {
  createNodeMetrics,
  type NodeMetrics,
  type NodeMetricsComponents,
  PROMETHEUS_CONTENT_TYPE,
} from './registry.js';
