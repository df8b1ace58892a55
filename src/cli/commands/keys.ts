/**
 * ledger keys new --out FILE [--passphrase-file F] [--scrypt-n N] [--force] [--json]
 * ledger keys show FILE [--passphrase-file F] [--json]
 *
 * Both print the key's address, compressed public key and libp2p peer id; never the secret.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateSecretKey } from '../../crypto/keys.js';
import { DEFAULT_SCRYPT_N, readKeystoreFile, writeKeystoreFile } from '../../crypto/keystore.js';
import { formatTable, identityOf, type KeyIdentity } from '../identity.js';
import type { CliIo } from '../io.js';
import { parseScryptN } from '../options.js';
import { PASSPHRASE_ENV, resolvePassphrase } from '../passphrase.js';
import type { CliCommand } from './command.js';

interface NewOptions {
  out: string;
  passphraseFile?: string;
  scryptN: number;
  force?: boolean;
  json?: boolean;
}

interface ShowOptions {
  passphraseFile?: string;
  json?: boolean;
}

function printIdentity(io: CliIo, identity: KeyIdentity, keystore: string, json: boolean | undefined): void {
  if (json) {
    io.stdout(`${JSON.stringify({ ...identity, keystore })}\n`);
    return;
  }
  io.stdout(
    formatTable([
      ['address', identity.address],
      ['public key', identity.publicKey],
      ['peer id', identity.peerId],
      ['keystore', keystore],
    ]),
  );
}

export const keysCommand: CliCommand = {
  register(program: Command, io: CliIo): void {
    const keys = program.command('keys').description('create and inspect encrypted key files (v3 keystores)');
    const passphraseHelp = `file holding the passphrase (default: $${PASSPHRASE_ENV})`;

    keys
      .command('new')
      .description('create a new secp256k1 key and write it encrypted')
      .requiredOption('--out <file>', 'keystore file to write')
      .option('--passphrase-file <file>', passphraseHelp)
      .option('--scrypt-n <n>', 'scrypt cost N (a power of two)', parseScryptN, DEFAULT_SCRYPT_N)
      .option('--force', 'overwrite an existing file')
      .option('--json', 'print the result as one JSON object')
      .action(async (options: NewOptions) => {
        const passphrase = await resolvePassphrase(options, io, 'create');
        const out = resolve(io.cwd, options.out);
        await mkdir(dirname(out), { recursive: true, mode: 0o700 });
        const secret = generateSecretKey();
        try {
          await writeKeystoreFile(out, secret, passphrase, {
            scryptN: options.scryptN,
            overwrite: options.force,
          });
          printIdentity(io, identityOf(secret), out, options.json);
        } finally {
          secret.fill(0);
        }
      });

    keys
      .command('show')
      .description('decrypt a keystore and print its address, public key and peer id')
      .argument('<file>', 'keystore file')
      .option('--passphrase-file <file>', passphraseHelp)
      .option('--json', 'print the result as one JSON object')
      .action(async (file: string, options: ShowOptions) => {
        const passphrase = await resolvePassphrase(options, io, 'open');
        const path = resolve(io.cwd, file);
        const secret = await readKeystoreFile(path, passphrase);
        try {
          printIdentity(io, identityOf(secret), path, options.json);
        } finally {
          secret.fill(0);
        }
      });
  },
};
