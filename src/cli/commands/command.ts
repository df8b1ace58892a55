import type { Command } from 'commander';
import type { CliIo } from '../io.js';

/**
 * One top-level subcommand. A module adds its command(s) with `program.command(...)` (so
 * they inherit the program's error and output handling), resolves paths against
 * `io.cwd`, writes through `io`, and reports failure by throwing a LedgerError.
 */
export interface CliCommand {
  register(program: Command, io: CliIo): void;
}
