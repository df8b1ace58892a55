/**
 * The devnet launcher's command line, checked in one place: every flag is validated here
 * and a bad one becomes a DevnetUsageError (printed as one line, exit 2), never a stack.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  API_PORT_OFFSET,
  DEFAULT_API_PORT,
  DEFAULT_P2P_PORT,
  DEFAULT_PROGRESS_INTERVAL_MS,
  DEFAULT_RPC_PORT,
  MAX_VALIDATORS,
  MIN_VALIDATORS,
  PORT_RANGE_SIZE,
  RPC_PORT_OFFSET,
} from './options.js';

export class DevnetUsageError extends Error {
  override readonly name = 'DevnetUsageError';

  /** showUsage: the flags were wrong (the usage text helps), not the situation. */
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

export const USAGE = `usage: npm start -- [options]

  --reset               start a new chain: delete the data directory first (alias: --fresh)
  --validators N        a throwaway genesis of N validators (${MIN_VALIDATORS} to ${MAX_VALIDATORS}), kept in its data
                        directory (default ./data/devnet-N); without it: genesis/devnet.json
  --data DIR            the data directory (default ./data/devnet, or ./data/devnet-N)
  --base-port P         ports P+i (p2p), P+${API_PORT_OFFSET}+i (API, explorer), P+${RPC_PORT_OFFSET} (JSON-RPC)
                        (default: ${DEFAULT_P2P_PORT}+i, ${DEFAULT_API_PORT}+i and ${DEFAULT_RPC_PORT})
  --verbose             show the nodes' logs here too (they always go to DIR/logs)
  --progress-interval-ms MS   how often the progress line is printed (default ${DEFAULT_PROGRESS_INTERVAL_MS})
  --help                this text
`;

export interface PortPlan {
  p2p(index: number): number;
  api(index: number): number;
  rpc: number;
}

export interface DevnetArgs {
  reset: boolean;
  /** Set when `--validators N` asks for a throwaway genesis. */
  validators?: number;
  /** Absolute; undefined means the default under the project's data folder. */
  dataDir?: string;
  ports: PortPlan;
  verbose: boolean;
  progressIntervalMs: number;
  help: boolean;
}

function integerIn(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(text)) throw new DevnetUsageError(`${flag} must be a whole number, not '${text}'`);
  const value = Number(text);
  if (value < min || value > max) throw new DevnetUsageError(`${flag} must be between ${min} and ${max}`);
  return value;
}

export function portPlan(basePort: number | undefined): PortPlan {
  if (basePort === undefined) {
    return { p2p: (i) => DEFAULT_P2P_PORT + i, api: (i) => DEFAULT_API_PORT + i, rpc: DEFAULT_RPC_PORT };
  }
  return {
    p2p: (i) => basePort + i,
    api: (i) => basePort + API_PORT_OFFSET + i,
    rpc: basePort + RPC_PORT_OFFSET,
  };
}

export function parseDevnetArgs(argv: readonly string[], cwd: string): DevnetArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        reset: { type: 'boolean' },
        fresh: { type: 'boolean' },
        validators: { type: 'string' },
        data: { type: 'string' },
        'base-port': { type: 'string' },
        verbose: { type: 'boolean' },
        'progress-interval-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    // parseArgs' messages name the flag and say what is wrong; nothing internal in them.
    throw new DevnetUsageError((err as Error).message);
  }
  const text = (name: string) => values[name] as string | undefined;
  const data = text('data');
  if (data !== undefined && data.trim() === '') throw new DevnetUsageError('--data must name a directory');
  return {
    reset: values.reset === true || values.fresh === true,
    validators: integerIn('--validators', text('validators'), MIN_VALIDATORS, MAX_VALIDATORS),
    dataDir: data === undefined ? undefined : isAbsolute(data) ? data : resolve(cwd, data),
    ports: portPlan(integerIn('--base-port', text('base-port'), 1024, 65536 - PORT_RANGE_SIZE)),
    verbose: values.verbose === true,
    progressIntervalMs:
      integerIn('--progress-interval-ms', text('progress-interval-ms'), 200, 3_600_000) ??
      DEFAULT_PROGRESS_INTERVAL_MS,
    help: values.help === true,
  };
}
