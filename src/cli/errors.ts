import { LedgerError } from '../errors.js';
import { StoreError } from '../store/index.js';

/** Exit codes of the `ledger` command. */
export const EXIT_OK = 0;
/** A command ran and failed (wrong passphrase, invalid file, I/O). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown option, bad value, missing input). */
export const EXIT_USAGE = 2;
/** `ledger node`: a write failed on a full disk (DISK_FULL). Free space, then start it again. */
export const EXIT_DISK_FULL = 3;
/**
 * `ledger node`: the data directory cannot be used as it is (CORRUPT_STORE: damaged, cut
 * short, records missing; UNSUPPORTED_FORMAT: another store format). Nothing was changed in it.
 */
export const EXIT_DATA_DIR_UNUSABLE = 4;

/** A failure of the CLI itself; subsystems' errors (KeystoreError, GenesisError) pass through as they are. */
export class CliError extends LedgerError {}

/** A wrong command line: exit code 2. */
export class UsageError extends CliError {}

/** A failure with an exit code of its own (runCli exits with `exitCode`). */
export class ExitCodeError extends CliError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * The exit of a node that failed for its disk or its data directory: the store's error
 * found in the cause chain (the node wraps it, e.g. STORAGE_FAILURE), with its own code and
 * message, which name the directory. Any other failure is returned as it is.
 */
export function dataDirExitOf(err: unknown): unknown {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (!(e instanceof StoreError)) continue;
    if (e.code === 'DISK_FULL') return new ExitCodeError(e.code, e.message, EXIT_DISK_FULL, { cause: err });
    if (e.code === 'CORRUPT_STORE' || e.code === 'UNSUPPORTED_FORMAT')
      return new ExitCodeError(e.code, e.message, EXIT_DATA_DIR_UNUSABLE, { cause: err });
  }
  return err;
}
