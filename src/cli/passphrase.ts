/**
 * Where a passphrase comes from, in order: --passphrase (genesis only, for throwaway test
 * networks), --passphrase-file FILE (one trailing newline is dropped), the LEDGER_PASSPHRASE
 * environment variable. A passphrase is never echoed or logged.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, UsageError } from './errors.js';
import type { CliIo } from './io.js';

export const PASSPHRASE_ENV = 'LEDGER_PASSPHRASE';

export interface PassphraseOptions {
  passphrase?: string;
  passphraseFile?: string;
}

export async function resolvePassphrase(
  options: PassphraseOptions,
  io: CliIo,
  purpose: 'create' | 'open',
): Promise<string> {
  let passphrase: string | undefined = options.passphrase;
  if (passphrase === undefined && options.passphraseFile !== undefined) {
    const path = resolve(io.cwd, options.passphraseFile);
    try {
      passphrase = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError('PASSPHRASE_FILE', `cannot read passphrase file ${path}: ${code}`);
    }
  }
  passphrase ??= io.env[PASSPHRASE_ENV];
  if (passphrase === undefined) {
    throw new UsageError(
      'NO_PASSPHRASE',
      `no passphrase given: use --passphrase-file FILE or set ${PASSPHRASE_ENV}`,
    );
  }
  // An empty passphrase may open a key made elsewhere but never protects a new one.
  if (purpose === 'create' && passphrase.length === 0) {
    throw new UsageError('EMPTY_PASSPHRASE', 'the passphrase is empty');
  }
  return passphrase;
}
