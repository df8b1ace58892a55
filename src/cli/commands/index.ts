/** Every subcommand of `ledger`, in help order. A new subcommand is one file plus one line here. */
import type { CliCommand } from './command.js';
import { genesisCommand } from './genesis.js';
import { keysCommand } from './keys.js';
import { nodeCommand } from './node.js';
import { walletCommand } from './wallet.js';

export type { CliCommand } from './command.js';

export const COMMANDS: readonly CliCommand[] = [keysCommand, genesisCommand, nodeCommand, walletCommand];
