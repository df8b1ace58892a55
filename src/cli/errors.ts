import { LedgerError } from '../errors.js';

/** Exit codes of the `ledger` command. */
export const EXIT_OK = 0;
/** A command ran and failed (wrong passphrase, invalid file, I/O). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong (unknown option, bad value, missing input). */
export const EXIT_USAGE = 2;

/** A failure of the CLI itself; subsystems' errors (KeystoreError, GenesisError) pass through as they are. */
export class CliError extends LedgerError {}

/** A wrong command line: exit code 2. */
export class UsageError extends CliError {}
