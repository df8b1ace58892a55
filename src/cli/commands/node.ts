/**
 * ledger node --genesis FILE --key KEYSTORE --data DIR [--listen MULTIADDR...]
 *            [--bootstrap MULTIADDR...] [--peers FILE] [--announce MULTIADDR...]
 *            [--api-port N] [--api-host HOST] [--rpc-port N]
 *            [--api-allowed-hosts NAME,...] [--api-requests-per-second N]
 *            [--api-max-concurrent-requests N] [--api-max-connections N]
 *            [--api-cors-origins ORIGIN,...] [--api-max-event-streams N]
 *            [--api-max-event-streams-per-client N] [--no-explorer]
 *            [--double-sign-check-rounds N] [--provable-history-blocks N]
 *            [--memory-upkeep-ms N] [--malloc-trim-ms N] [--passphrase-file F | -] [--reset-safety-data] [--log-level LEVEL]
 *
 * Every option may come from the environment instead (LEDGER_GENESIS, LEDGER_KEY,
 * LEDGER_DATA, LEDGER_LISTEN and LEDGER_BOOTSTRAP as comma-separated lists, LEDGER_PEERS,
 * LEDGER_API_PORT, LEDGER_API_HOST, LEDGER_RPC_PORT, LEDGER_API_ALLOWED_HOSTS, LEDGER_LOG_LEVEL; the passphrase from
 * LEDGER_PASSPHRASE). Logs are pino JSON lines on stdout. SIGINT / SIGTERM stop the node
 * cleanly (exit 0); a node that cannot start prints `error CODE: message` and exits 1.
 * An error nothing caught (in a timer or a promise) is logged and stops the node in order
 * (its stores flushed and closed, the data directory unlocked), then exits 1. A full disk,
 * at start or while running, exits 3 (DISK_FULL); a data directory that is damaged or of
 * another store format is refused with exit 4 (CORRUPT_STORE, UNSUPPORTED_FORMAT).
 *
 * The passphrase: `--passphrase-file -` reads it from standard input. Once read,
 * LEDGER_PASSPHRASE is removed from the process's environment and the node does not keep
 * it; the initial environment stays readable in /proc/<pid>/environ all the same, so a
 * file or stdin is the better source for a long-running node.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { DEFAULT_API_SERVER_OPTIONS } from '../../../explorer/server/index.js';
import { toHex } from '../../crypto/bytes.js';
import { keystoreAddress } from '../../crypto/keystore.js';
import { LedgerError } from '../../errors.js';
import { loadGenesisFile } from '../../genesis/index.js';
import {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS,
  DEFAULT_LISTEN,
  DEFAULT_MALLOC_TRIM_MS,
  DEFAULT_MEMORY_UPKEEP_MS,
  LedgerNode,
  NodeError,
  type NodeOptions,
} from '../../node/index.js';
import { DEFAULT_STORE_OPTIONS } from '../../store/index.js';
import { dataDirExitOf, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { parseNonNegativeInt, parsePositiveInt } from '../options.js';
import { PASSPHRASE_ENV, resolvePassphrase } from '../passphrase.js';
import { MAX_PEERS_FILE_BYTES, PeersFileError, parsePeersFile } from '../peers-file.js';
import type { CliCommand } from './command.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface NodeCliOptions {
  genesis?: string;
  key?: string;
  data?: string;
  listen?: string[];
  bootstrap?: string[];
  announce?: string[];
  peers?: string;
  apiPort?: number;
  apiHost?: string;
  apiAllowedHosts?: string;
  apiRequestsPerSecond?: number;
  apiMaxConcurrentRequests?: number;
  apiMaxConnections?: number;
  apiCorsOrigins?: string;
  apiMaxEventStreams?: number;
  apiMaxEventStreamsPerClient?: number;
  /** commander's `--no-explorer`: false when given. */
  explorer?: boolean;
  passphraseFile?: string;
  resetSafetyData?: boolean;
  logLevel?: string;
  doubleSignCheckRounds?: number;
  provableHistoryBlocks?: number;
  memoryUpkeepMs?: number;
  mallocTrimMs?: number;
  rpcPort?: number;
}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Flags first, then the environment, then defaults; refuses what is missing or malformed. */
export function resolveNodeOptions(options: NodeCliOptions, env: CliIo['env']) {
  const need = (value: string | undefined, flag: string, name: string): string => {
    if (value === undefined || value === '')
      throw new UsageError('MISSING_OPTION', `${flag} is required (or set ${name})`);
    return value;
  };
  let apiPort = options.apiPort;
  if (apiPort === undefined && env.LEDGER_API_PORT !== undefined) {
    if (!/^[0-9]{1,5}$/.test(env.LEDGER_API_PORT))
      throw new UsageError('INVALID_OPTION', 'LEDGER_API_PORT must be a port number');
    apiPort = Number(env.LEDGER_API_PORT);
  }
  apiPort ??= DEFAULT_API_PORT;
  let rpcPort = options.rpcPort;
  if (rpcPort === undefined && env.LEDGER_RPC_PORT !== undefined) {
    if (!/^[0-9]{1,5}$/.test(env.LEDGER_RPC_PORT))
      throw new UsageError('INVALID_OPTION', 'LEDGER_RPC_PORT must be a port number');
    rpcPort = Number(env.LEDGER_RPC_PORT);
  }
  if (rpcPort !== undefined && rpcPort > 65535)
    throw new UsageError('INVALID_OPTION', '--rpc-port must be at most 65535');
  if (apiPort > 65535) throw new UsageError('INVALID_OPTION', '--api-port must be at most 65535');
  const logLevel = options.logLevel ?? env.LEDGER_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new UsageError('INVALID_OPTION', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    genesisPath: need(options.genesis ?? env.LEDGER_GENESIS, '--genesis', 'LEDGER_GENESIS'),
    keyPath: need(options.key ?? env.LEDGER_KEY, '--key', 'LEDGER_KEY'),
    dataDir: need(options.data ?? env.LEDGER_DATA, '--data', 'LEDGER_DATA'),
    listen: options.listen ?? list(env.LEDGER_LISTEN) ?? [DEFAULT_LISTEN],
    bootstrap: options.bootstrap ?? list(env.LEDGER_BOOTSTRAP) ?? [],
    announce: options.announce ?? list(env.LEDGER_ANNOUNCE) ?? [],
    peersFile: options.peers ?? (env.LEDGER_PEERS || undefined),
    apiPort,
    apiHost: options.apiHost ?? env.LEDGER_API_HOST ?? DEFAULT_API_HOST,
    api: {
      allowedHosts: list(options.apiAllowedHosts ?? env.LEDGER_API_ALLOWED_HOSTS),
      requestsPerSecond: options.apiRequestsPerSecond,
      burstRequests:
        options.apiRequestsPerSecond === undefined ? undefined : 2 * options.apiRequestsPerSecond,
      maxConcurrentRequestsPerClient: options.apiMaxConcurrentRequests,
      maxConnections: options.apiMaxConnections,
      allowedOrigins: list(options.apiCorsOrigins ?? env.LEDGER_API_CORS_ORIGINS),
      maxEventStreams: options.apiMaxEventStreams,
      maxEventStreamsPerClient: options.apiMaxEventStreamsPerClient,
    },
    explorerPages: options.explorer !== false,
    logLevel,
    traceConsensus: logLevel === 'trace',
    doubleSignCheckRounds: options.doubleSignCheckRounds,
    provableHistoryBlocks: options.provableHistoryBlocks,
    memoryUpkeepMs: options.memoryUpkeepMs,
    mallocTrimMs: options.mallocTrimMs,
    rpcPort,
  };
}

/** After an uncaught error, the orderly stop gets this long before the process exits anyway. */
export const UNCAUGHT_STOP_TIMEOUT_MS = 15_000;

/** The process-wide events of errors nothing caught (process, or a stand-in in tests). */
export interface CrashSource {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
}

/**
 * Turns an error nothing caught into an orderly stop of `node` (which then ends with
 * UNCAUGHT_ERROR) instead of a process killed mid-write. Returns the uninstaller.
 */
export function stopOnUncaughtErrors(
  node: Pick<LedgerNode, 'abort'>,
  logger: { fatal(fields: object, message: string): void },
  source: CrashSource = process,
  exitAfterMs: number | undefined = UNCAUGHT_STOP_TIMEOUT_MS,
): () => void {
  const onError = (origin: string) => (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    logger.fatal({ origin, err: error.message, stack: error.stack }, 'uncaught error, stopping');
    if (exitAfterMs !== undefined) {
      // a stop that hangs must not leave a half-dead validator running
      setTimeout(() => process.exit(1), exitAfterMs).unref();
    }
    void node.abort(new NodeError('UNCAUGHT_ERROR', `${origin}: ${error.message}`, { cause: error }));
  };
  const onException = onError('uncaughtException');
  const onRejection = onError('unhandledRejection');
  source.on('uncaughtException', onException);
  source.on('unhandledRejection', onRejection);
  return () => {
    source.off('uncaughtException', onException);
    source.off('unhandledRejection', onRejection);
  };
}

/**
 * The addresses of a peers file (src/cli/peers-file.ts), checked against the genesis, this
 * node's own line skipped. Its own peer id is known here, before the key is decrypted, for a
 * validator (the keystore's address is in the genesis); an observer's own line is skipped
 * by the network, which never dials its own peer id.
 */
export async function peersFromFile(file: string, genesisPath: string, keyPath: string): Promise<string[]> {
  let text: string;
  try {
    // checked before reading: the file is read whole
    if ((await stat(file)).size > MAX_PEERS_FILE_BYTES)
      throw new PeersFileError(
        'PEERS_FILE_TOO_LARGE',
        file,
        0,
        `is larger than ${MAX_PEERS_FILE_BYTES} bytes`,
      );
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof PeersFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new PeersFileError('PEERS_FILE_NOT_FOUND', file, 0, `cannot read the peers file: ${code}`);
  }
  const genesis = await loadGenesisFile(genesisPath);
  const allowedPeers = new Map<string, string>();
  for (const v of genesis.validators) allowedPeers.set(v.peerId, v.name);
  for (const o of genesis.observers) allowedPeers.set(o.peerId, o.name);
  let selfPeerId: string | undefined;
  try {
    const address = keystoreAddress(await readFile(keyPath, 'utf8'));
    if (address) selfPeerId = genesis.validators.find((v) => toHex(v.address) === toHex(address))?.peerId;
  } catch {
    // an unreadable key is reported, with its cause, when the node opens it
  }
  return parsePeersFile(text, { source: file, allowedPeers, selfPeerId });
}

/**
 * Routes console.error / console.warn into the log while the node runs: lmdb-js prints a
 * failed write (a full disk) with its stack to stderr itself, and the operator's terminal
 * gets one line per error, in the log's format, instead. Returns the restorer.
 */
function consoleToLog(logger: { warn(fields: object, message: string): void }): () => void {
  const { error, warn } = console;
  const toLog = (...args: unknown[]) => {
    const text = args
      .map((a) =>
        a instanceof Error ? `${a.message}${'code' in a ? ` (code ${String(a.code)})` : ''}` : String(a),
      )
      .join(' ');
    logger.warn({ err: text }, 'a library reported an error');
  };
  console.error = toLog;
  console.warn = toLog;
  return () => {
    console.error = error;
    console.warn = warn;
  };
}

/** Reads the passphrase and opens the node; the passphrase lives only in this call. */
async function openNode(
  options: NodeCliOptions,
  resolved: ReturnType<typeof resolveNodeOptions>,
  io: CliIo,
  logger: NodeOptions['logger'],
): Promise<LedgerNode> {
  const at = (p: string) => resolve(io.cwd, p);
  const { peersFile, ...nodeOptions } = resolved;
  // before the passphrase is asked for: a wrong peers file needs no key to be found
  const fromFile =
    peersFile === undefined
      ? []
      : await peersFromFile(at(peersFile), at(resolved.genesisPath), at(resolved.keyPath));
  const passphrase = await resolvePassphrase(options, io, 'open');
  io.unsetEnv?.(PASSPHRASE_ENV);
  return LedgerNode.init({
    ...nodeOptions,
    bootstrap: [...resolved.bootstrap, ...fromFile],
    genesisPath: at(resolved.genesisPath),
    keyPath: at(resolved.keyPath),
    dataDir: at(resolved.dataDir),
    resetSafetyData: options.resetSafetyData === true,
    passphrase,
    logger,
  });
}

async function run(options: NodeCliOptions, io: CliIo): Promise<void> {
  const resolved = resolveNodeOptions(options, io.env);
  const logger = pino({ level: resolved.logLevel, base: undefined });
  const restoreConsole = consoleToLog(logger);
  try {
    await runNode(options, resolved, io, logger);
  } catch (err) {
    throw dataDirExitOf(err);
  } finally {
    restoreConsole();
  }
}

async function runNode(
  options: NodeCliOptions,
  resolved: ReturnType<typeof resolveNodeOptions>,
  io: CliIo,
  logger: NodeOptions['logger'] & ReturnType<typeof pino<never>>,
): Promise<void> {
  const node = await openNode(options, resolved, io, logger);
  const uninstall = stopOnUncaughtErrors(node, logger);
  // Kept installed until the node has stopped: a second signal must not kill a node that
  // is still flushing its stores.
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received, shutting down');
    void node.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      await node.start();
    } catch (err) {
      await node.stop();
      throw err;
    }
    const failure = await node.done;
    if (failure) {
      if (failure instanceof LedgerError) throw failure;
      throw new LedgerError('NODE_FAILED', failure.message);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    uninstall();
    logger.flush?.();
  }
}

export const nodeCommand: CliCommand = {
  register(program: Command, io: CliIo): void {
    program
      .command('node')
      .description('run a validator (or observer) node with its HTTP API')
      .option('--genesis <file>', 'genesis file (env LEDGER_GENESIS)')
      .option('--key <keystore>', "this node's key, a v3 keystore (env LEDGER_KEY)")
      .option('--data <dir>', 'data directory (env LEDGER_DATA)')
      .option('--listen <multiaddr...>', `p2p listen address(es) (default ${DEFAULT_LISTEN})`)
      .option('--bootstrap <multiaddr...>', 'peer(s) to dial, each ending in /p2p/<peer id>')
      .option(
        '--announce <multiaddr...>',
        'p2p address(es) peers reach this node at, handed out instead of --listen (NAT, relays) (env LEDGER_ANNOUNCE)',
      )
      .option(
        '--peers <file>',
        "file of the network's peers to dial, one multiaddr ending in /p2p/<peer id> a line, '#' comments; this node's own line is skipped (env LEDGER_PEERS; docs/OPERATIONS.md)",
      )
      .option('--api-port <n>', `HTTP API port (default ${DEFAULT_API_PORT})`, parseNonNegativeInt)
      .option('--api-host <host>', `HTTP API host (default ${DEFAULT_API_HOST})`)
      .option(
        '--rpc-port <n>',
        'a port of its own for the Ethereum JSON-RPC at / (HTTP and WebSocket; it is always at /rpc on the API port), e.g. 8545 (env LEDGER_RPC_PORT)',
        parseNonNegativeInt,
      )
      .option(
        '--api-allowed-hosts <names>',
        "comma-separated Host names the API answers to, besides localhost, IP literals and --api-host; '*' for any (env LEDGER_API_ALLOWED_HOSTS)",
      )
      .option(
        '--api-requests-per-second <n>',
        `requests per second one client address may send, bursts of twice that (default ${DEFAULT_API_SERVER_OPTIONS.requestsPerSecond})`,
        parsePositiveInt,
      )
      .option(
        '--api-max-concurrent-requests <n>',
        `requests in progress per client address (default ${DEFAULT_API_SERVER_OPTIONS.maxConcurrentRequestsPerClient})`,
        parsePositiveInt,
      )
      .option(
        '--api-max-connections <n>',
        `open API connections in all (default ${DEFAULT_API_SERVER_OPTIONS.maxConnections})`,
        parsePositiveInt,
      )
      .option(
        '--api-cors-origins <origins>',
        "comma-separated origins whose web pages may read the API (CORS), '*' for any; default none (env LEDGER_API_CORS_ORIGINS)",
      )
      .option(
        '--api-max-event-streams <n>',
        `live event streams (/api/v1/events) open in all (default ${DEFAULT_API_SERVER_OPTIONS.maxEventStreams})`,
        parsePositiveInt,
      )
      .option(
        '--api-max-event-streams-per-client <n>',
        `live event streams one client address may hold (default ${DEFAULT_API_SERVER_OPTIONS.maxEventStreamsPerClient})`,
        parsePositiveInt,
      )
      .option('--no-explorer', 'serve the HTTP API without the explorer web pages')
      .option(
        '--double-sign-check-rounds <n>',
        `rounds a (re)started validator watches for its own signatures before signing; 0: off (default ${DEFAULT_DOUBLE_SIGN_CHECK_ROUNDS})`,
        parseNonNegativeInt,
      )
      .option(
        '--provable-history-blocks <n>',
        `committed heights below the head at which accounts stay provable; each keeps one block's undo records (default ${DEFAULT_STORE_OPTIONS.provableHistoryBlocks})`,
        parseNonNegativeInt,
      )
      .option(
        '--memory-upkeep-ms <n>',
        `how often the node drops its mapping of the lmdb pages it read (the pages stay in the page cache); 0: never (default ${DEFAULT_MEMORY_UPKEEP_MS})`,
        parseNonNegativeInt,
      )
      .option(
        '--malloc-trim-ms <n>',
        `how often glibc malloc gives back the free pages of its arenas (a thread allocating meanwhile waits); 0: never (default ${DEFAULT_MALLOC_TRIM_MS})`,
        parseNonNegativeInt,
      )
      .option(
        '--passphrase-file <file>',
        "file holding the passphrase, '-' for standard input (default: $LEDGER_PASSPHRASE)",
      )
      .option(
        '--reset-safety-data',
        'start a validator whose safety data is missing next to its chain data, from last voted round 0: only if this key has not signed since that data was lost (it could sign twice)',
      )
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
      .action((options: NodeCliOptions) => run(options, io));
  },
};
