import type { ApiServerOptions } from '../../explorer/server/index.js';
import type { NetworkOptions } from '../network/index.js';
import type { RpcOptions } from '../rpc/index.js';
import type { SyncOptions } from '../sync/index.js';
import type { NodeLogger } from './logger.js';

/** What `ledger node` configures. Paths are absolute or relative to the process's cwd. */
export interface NodeOptions {
  genesisPath: string;
  keyPath: string;
  passphrase: string;
  /** Holds `chain/` (the ledger store) and `safety/` (consensus safety data). */
  dataDir: string;
  /** libp2p listen multiaddrs, e.g. /ip4/0.0.0.0/tcp/7000. */
  listen: string[];
  /** Peers to dial, each ending in /p2p/<peer id>. */
  bootstrap: string[];
  /** Addresses peers reach this node at, handed out instead of `listen` (NAT, relays). */
  announce?: string[];
  /** HTTP API port (0: any free port); default 8080. */
  apiPort: number;
  apiHost: string;
  /** Overrides of the HTTP API's bounds: per-client limits, Host names, timeouts. */
  api?: Partial<ApiServerOptions>;
  /** Serve the explorer's web pages beside the API (default true; `--no-explorer`: API only). */
  explorerPages?: boolean;
  /**
   * A port of its own for the Ethereum JSON-RPC at `/` (HTTP and WebSocket), on `apiHost`;
   * undefined: JSON-RPC only at /rpc on the API port.
   */
  rpcPort?: number;
  /** Bounds of the JSON-RPC endpoint (src/rpc DEFAULT_RPC_OPTIONS). */
  rpc?: Partial<RpcOptions>;
  logger: NodeLogger;
  /** Overrides of the network's tunables (tests). */
  network?: Partial<NetworkOptions>;
  /** Overrides of block sync's tunables (tests). */
  sync?: Partial<SyncOptions>;
  /** Round timeouts grow as base * 2^k, k capped here. */
  maxTimeoutExponent?: number;
  /** After an empty block, wait up to this long for transactions (default min(250, base/4)). */
  emptyBlockDelayMs?: number;
  /** Log every consensus event and action (`--log-level trace`): for diagnosing a stalled round. */
  traceConsensus?: boolean;
  /**
   * Double-sign guard: after consensus starts, sign nothing for this many rounds while
   * watching certificates for this validator's own signatures; stop with DOUBLE_SIGN_RISK if
   * one appears for a round the safety data does not record. 0 turns it off.
   */
  doubleSignCheckRounds?: number;
  /**
   * Committed heights below the head at which accounts stay provable (GET
   * /accounts/:address/proof?height=): the store keeps one block's undo records per height.
   * Default: src/store DEFAULT_STORE_OPTIONS.
   */
  provableHistoryBlocks?: number;
  /** API transactions decoded and recovered per turn of the event loop (default below). */
  submitSliceTxs?: number;
  /** How often the journal of API transactions drops those committed or dropped. */
  txJournalPruneMs?: number;
  /**
   * An API transaction still pending this long after this node last gossiped it is gossiped
   * again (admission.ts says why); longer than the network's seenTtlMs.
   */
  txRebroadcastMs?: number;
  /** API transactions gossiped again per pass at most. */
  txRebroadcastMaxTxs?: number;
  /**
   * Start a validator whose safety store is missing next to its chain store, with last
   * voted round 0 (`--reset-safety-data`). Refused without it: it could sign twice.
   */
  resetSafetyData?: boolean;
  /** Equivocation evidence kept per validator, in stored bytes (the first records prove it). */
  evidenceBytesPerValidator?: number;
  /** Time between memory upkeep passes (memory-upkeep.ts); 0 turns it off. Default below. */
  memoryUpkeepMs?: number;
  /** Time between trims of glibc malloc's free memory; 0: never (default DEFAULT_MALLOC_TRIM_MS). */
  mallocTrimMs?: number;
}

export const DEFAULT_API_PORT = 8080;
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/7000';
export const DEFAULT_MAX_TIMEOUT_EXPONENT = 4;
/** Proposals whose timestamp is further ahead of local time are invalid. */
export const MAX_CLOCK_SKEW_MS = 10_000;
/** Rounds a (re)started validator watches before signing (CometBFT's double_sign_check_height). */
export const DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS = 2;
/**
 * API transactions admitted per turn of the event loop: a slice costs a few milliseconds of
 * signature recovery, so consensus messages wait at most that long behind a large POST.
 */
export const DEFAULT_SUBMIT_SLICE_TXS = 32;
/** The journal holds committed or dropped transactions at most this long. */
export const DEFAULT_TX_JOURNAL_PRUNE_MS = 1000;
/**
 * A transaction pending this long after its gossip was lost somewhere: a healthy network
 * commits one within a few rounds (well under a second in the node benchmark).
 */
export const DEFAULT_TX_REBROADCAST_MS = 20_000;
/** At most this many API transactions gossiped again per pass (a pass every 5 s by default). */
export const DEFAULT_TX_REBROADCAST_MAX_TXS = 2048;
/**
 * A pass drops the lmdb pages mapped since the last one, so what stays mapped is what the
 * node touched in about this long: lookups and inserts under hash keys touch pages all
 * over the chain file, and a fault maps more than the page it needs: the 64 KiB about it,
 * or the whole folio the page cache holds it in, up to 256 KiB for a run of pages lmdb
 * wrote in one call. Under load a node maps a hundred MB or more a second (BENCHMARKS.md,
 * "Chaos soak and memory", session 16). A pass costs a few ms on a worker thread; the hot
 * pages map again from the page cache. At 100 ms rather than 250 the soak's validators kept
 * the chain file's share of their resident set from growing, and the node benchmark saw
 * no cost beyond its run-to-run noise.
 */
export const DEFAULT_MEMORY_UPKEEP_MS = 100;
/** The mappings are read again every this many passes (memory-upkeep.ts). */
export const MEMORY_UPKEEP_RESCAN_PASSES = 40;
/**
 * Off unless asked for (`ledger node --malloc-trim-ms N`): a trim lowers the growth of a
 * busy node's anonymous memory, but it holds malloc's arena lock while it walks the free
 * chunks, and the event loop waits on that lock at its next allocation; in a soak on an
 * overloaded machine single trims took up to seconds (BENCHMARKS.md, "Chaos soak and
 * memory", session 13).
 */
export const DEFAULT_MALLOC_TRIM_MS = 0;

/**
 * Evidence kept per validator: a few dozen compact proposal records (two signed headers
 * each), enough to prove equivocation; a validator equivocating every round costs no more.
 */
export const DEFAULT_EVIDENCE_BYTES_PER_VALIDATOR = 64 * 1024;
