/**
 * Where a passphrase comes from, in order: --passphrase (genesis only, for throwaway test
 * networks), --passphrase-file FILE (one trailing newline is dropped; `-` reads standard
 * input to its end), the LEDGER_PASSPHRASE environment variable. A passphrase is never
 * echoed or logged. A file or stdin is preferred for a long-running node: a process's
 * initial environment stays readable in /proc/<pid>/environ for its whole life.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, UsageError } from './errors.js';
import type { CliIo } from './io.js';

export const PASSPHRASE_ENV = 'LEDGER_PASSPHRASE';
/** More than any passphrase: reading stops there (a mistaken --passphrase-file /dev/zero). */
export const MAX_PASSPHRASE_BYTES = 64 * 1024;

/** Reads chunks up to MAX_PASSPHRASE_BYTES; undefined when there is more. */
async function readBounded(chunks: AsyncIterable<Uint8Array>): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > MAX_PASSPHRASE_BYTES) return undefined;
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}

async function readPassphraseFile(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    return await readBounded(file.createReadStream({ autoClose: false, highWaterMark: 16 * 1024 }));
  } finally {
    await file.close();
  }
}

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
    const fromStdin = options.passphraseFile === '-';
    const path = fromStdin ? 'standard input' : resolve(io.cwd, options.passphraseFile);
    let text: string | undefined;
    try {
      if (fromStdin && !io.stdin) throw Object.assign(new Error('no stdin'), { code: 'ENOENT' });
      text = await (fromStdin && io.stdin ? readBounded(io.stdin()) : readPassphraseFile(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError('PASSPHRASE_FILE', `cannot read passphrase file ${path}: ${code}`);
    }
    if (text === undefined)
      throw new CliError(
        'PASSPHRASE_FILE',
        `passphrase file ${path} holds more than ${MAX_PASSPHRASE_BYTES} bytes`,
      );
    passphrase = text.replace(/\r?\n$/, '');
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
