/**
 * The `ledger` command line: builds the commander program from COMMANDS and maps every
 * outcome to an exit code. Failures print one line, `error CODE: message`, to stderr:
 * exit 1 for a command that failed, 2 for a wrong command line, or the error's own exit code
 * (the wallet's, src/wallet/errors.ts). No stack traces, unless LEDGER_DEBUG is set.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { LedgerError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import type { CliIo } from './io.js';

const PACKAGE_NAME = 'bft-ledger';

/**
 * The version in this project's package.json: the nearest one up from this file that names
 * the project (from the sources it is two folders up; from dist/ three).
 */
function packageVersion(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === PACKAGE_NAME) return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      // no package.json here, or not JSON: look further up
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('ledger')
    .description('permissioned BFT ledger node and tools')
    .version(packageVersion())
    // Set before any .command() so every subcommand inherits them.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // commander's "error: msg" becomes our "error USAGE: msg".
      outputError: (text, write) => write(text.replace(/^error: /, 'error USAGE: ')),
    })
    .showHelpAfterError('(run with --help for usage)');
  for (const command of COMMANDS) command.register(program, io);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Already printed by commander (help, version, or a usage error).
      if (err.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof LedgerError) {
      io.stderr(`error ${err.code}: ${err.message}\n`);
      if (io.env.LEDGER_DEBUG && err.stack) io.stderr(`${err.stack}\n`);
      if (err instanceof UsageError) return EXIT_USAGE;
      // an error with exit codes of its own (the wallet's, src/wallet/errors.ts) names its code
      const own = (err as { exitCode?: unknown }).exitCode;
      return typeof own === 'number' && Number.isInteger(own) && own > 0 && own < 126 ? own : EXIT_FAILURE;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`error INTERNAL: ${message}\n`);
    if (io.env.LEDGER_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return EXIT_FAILURE;
  }
}
