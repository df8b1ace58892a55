/** Defaults of the devnet launcher (scripts/devnet.ts); each can be overridden by a flag. */

/** The ports of the committed devnet, kept as they were so that bookmarks and tools still work. */
export const DEFAULT_P2P_PORT = 7000;
export const DEFAULT_API_PORT = 8080;
/** Node 0's Ethereum JSON-RPC: the port Ethereum tools try first. */
export const DEFAULT_RPC_PORT = 8545;

/**
 * With `--base-port P`, every port sits at P plus an offset: validator i listens for peers
 * on P + i and serves its API on P + API_PORT_OFFSET + i; node 0's JSON-RPC is on
 * P + RPC_PORT_OFFSET. The offsets leave room for MAX_VALIDATORS.
 */
export const API_PORT_OFFSET = 10;
export const RPC_PORT_OFFSET = 20;
/** The ports `--base-port P` uses: P to P + PORT_RANGE_SIZE - 1. */
export const PORT_RANGE_SIZE = RPC_PORT_OFFSET + 1;

export const MIN_VALIDATORS = 4;
export const MAX_VALIDATORS = 10;

/** The committed devnet's chain id, also given to the throwaway genesis of `--validators N`. */
export const DEVNET_CHAIN_ID = '1337';
/** The passphrase of every devnet key (public, test-only: genesis/devnet-keys/README.md). */
export const DEVNET_PASSPHRASE = 'devnet';
/** Keystores of a throwaway genesis are as weak as the committed ones, so they open fast. */
export const THROWAWAY_SCRYPT_N = 1024;

/** How often the terminal shows the network's progress. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;
/** A status request that takes longer than this counts the node as not answering. */
export const STATUS_TIMEOUT_MS = 1_500;

/** The first restart of a crashed validator waits this long; each further one twice as long. */
export const RESTART_BACKOFF_INITIAL_MS = 1_000;
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A validator that ran this long before crashing starts again at the initial backoff. */
export const RESTART_BACKOFF_RESET_AFTER_MS = 60_000;

/** Lines of a crashed validator's log shown on the terminal. */
export const CRASH_TAIL_LINES = 15;
/** A log file this big is renamed to `<name>.1` (replacing the older one) and begun again. */
export const MAX_LOG_FILE_BYTES = 32 * 1024 * 1024;

/** After SIGTERM, a node that has not stopped within this long is killed. */
export const STOP_TIMEOUT_MS = 10_000;
