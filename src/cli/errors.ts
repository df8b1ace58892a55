import { LedgerError } from '../errors.js';

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
