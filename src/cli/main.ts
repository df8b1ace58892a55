/** Entry point of the `ledger` command (bin/ledger.js runs this through tsx). */
import { processIo } from './io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
