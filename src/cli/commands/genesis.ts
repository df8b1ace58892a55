/**
 * ledger genesis --validators N --out DIR [--chain-id ID] [--faucet-balance WEI]
 *                [--passphrase P | --passphrase-file F] [--scrypt-n N] [--genesis-time-ms MS]
 *                [--max-block-txs N] [--max-block-bytes N] [--base-round-timeout-ms MS]
 *                [--base-fee-per-gas WEI] [--force] [--json]
 *
 * Writes DIR/keys/validator-<i>.json and DIR/keys/faucet.json (v3 keystores, all under one
 * passphrase), then DIR/genesis.json last, so a genesis.json on disk always has its keys.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { addressOf, generateSecretKey, toChecksumAddress } from '../../crypto/keys.js';
import { DEFAULT_SCRYPT_N, writeKeystoreFile } from '../../crypto/keystore.js';
import { createGenesis, DEFAULT_GENESIS_PARAMS, type GenesisParams } from '../../genesis/index.js';
import { CliError } from '../errors.js';
import { formatTable } from '../identity.js';
import type { CliIo } from '../io.js';
import { parseDecimal, parseNonNegativeInt, parsePositiveInt, parseScryptN } from '../options.js';
import { PASSPHRASE_ENV, resolvePassphrase } from '../passphrase.js';
import type { CliCommand } from './command.js';

export const DEFAULT_CHAIN_ID = 1337n;
/** 10^12 ether: plenty for any test network. */
export const DEFAULT_FAUCET_BALANCE_WEI = 10n ** 30n;

interface GenesisOptions {
  validators: number;
  out: string;
  chainId: bigint;
  faucetBalance: bigint;
  passphrase?: string;
  passphraseFile?: string;
  scryptN: number;
  genesisTimeMs?: number;
  maxBlockTxs?: number;
  maxBlockBytes?: number;
  baseRoundTimeoutMs?: number;
  baseFeePerGas?: bigint;
  force?: boolean;
  json?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function run(options: GenesisOptions, io: CliIo): Promise<void> {
  const passphrase = await resolvePassphrase(options, io, 'create');
  const dir = resolve(io.cwd, options.out);
  const keysDir = join(dir, 'keys');
  const genesisPath = join(dir, 'genesis.json');
  const validatorPath = (i: number) => join(keysDir, `validator-${i}.json`);
  const faucetPath = join(keysDir, 'faucet.json');
  const withFaucet = options.faucetBalance > 0n;

  // Refuse before any (slow) key derivation if something would be overwritten.
  if (!options.force) {
    const targets = [genesisPath, ...Array.from({ length: options.validators }, (_, i) => validatorPath(i))];
    if (withFaucet) targets.push(faucetPath);
    for (const target of targets) {
      if (await exists(target)) {
        throw new CliError('OUTPUT_EXISTS', `${target} already exists; use --force to overwrite`);
      }
    }
  }

  const params: Partial<GenesisParams> = {};
  if (options.maxBlockTxs !== undefined) params.maxBlockTxs = options.maxBlockTxs;
  if (options.maxBlockBytes !== undefined) params.maxBlockBytes = options.maxBlockBytes;
  if (options.baseRoundTimeoutMs !== undefined) params.baseRoundTimeoutMs = options.baseRoundTimeoutMs;
  if (options.baseFeePerGas !== undefined) params.baseFeePerGas = options.baseFeePerGas;

  const faucetSecret = withFaucet ? generateSecretKey() : undefined;
  const secrets: Uint8Array[] = faucetSecret ? [faucetSecret] : [];
  try {
    // Validates chain id and params (GenesisError) before anything is written.
    const created = createGenesis({
      validators: options.validators,
      chainId: options.chainId,
      genesisTimeMs: options.genesisTimeMs,
      alloc: faucetSecret ? [{ address: addressOf(faucetSecret), balance: options.faucetBalance }] : [],
      params,
    });
    secrets.push(...created.secrets);

    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    const keystore = { scryptN: options.scryptN, overwrite: options.force };
    // One at a time: scrypt at the default N takes 256 MiB each.
    for (const [i, secret] of created.secrets.entries()) {
      await writeKeystoreFile(validatorPath(i), secret, passphrase, keystore);
    }
    if (faucetSecret) await writeKeystoreFile(faucetPath, faucetSecret, passphrase, keystore);
    try {
      await writeFile(genesisPath, `${JSON.stringify(created.json, null, 2)}\n`, {
        flag: options.force ? 'w' : 'wx',
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'EEXIST') throw new CliError('OUTPUT_EXISTS', `${genesisPath} already exists`);
      throw new CliError('WRITE_FAILED', `cannot write ${genesisPath}: ${code}`);
    }

    const { genesis } = created;
    const faucet = faucetSecret
      ? {
          address: toChecksumAddress(addressOf(faucetSecret)),
          balance: options.faucetBalance.toString(),
          keystore: faucetPath,
        }
      : undefined;
    if (options.json) {
      const validators = genesis.validators.map((v, i) => ({
        name: v.name,
        address: created.json.validators[i].address,
        peerId: v.peerId,
        keystore: validatorPath(i),
      }));
      const summary = {
        genesis: genesisPath,
        chainId: genesis.chainId.toString(),
        faultTolerance: genesis.faultTolerance,
        quorum: genesis.quorum,
        validators,
        faucet,
      };
      io.stdout(`${JSON.stringify(summary)}\n`);
      return;
    }
    const n = genesis.validators.length;
    const rows: Array<readonly [string, string]> = [
      ['genesis', genesisPath],
      ['chain id', genesis.chainId.toString()],
      ['validators', `${n} (tolerates ${genesis.faultTolerance} faulty; quorum ${genesis.quorum})`],
    ];
    genesis.validators.forEach((v, i) => {
      rows.push([v.name, `${created.json.validators[i].address}  ${v.peerId}  ${validatorPath(i)}`]);
    });
    if (faucet) rows.push(['faucet', `${faucet.address}  ${faucet.balance} wei  ${faucet.keystore}`]);
    io.stdout(formatTable(rows));
  } finally {
    for (const secret of secrets) secret.fill(0);
  }
}

export const genesisCommand: CliCommand = {
  register(program: Command, io: CliIo): void {
    const d = DEFAULT_GENESIS_PARAMS;
    program
      .command('genesis')
      .description('create validator and faucet keys and the genesis.json of a new network')
      .requiredOption('--validators <n>', 'number of validators', parsePositiveInt)
      .requiredOption('--out <dir>', 'output directory (genesis.json and keys/)')
      // bigint defaults need their own text: help would JSON-serialise the value
      .addOption(
        new Option('--chain-id <id>', 'chain id')
          .argParser(parseDecimal)
          .default(DEFAULT_CHAIN_ID, DEFAULT_CHAIN_ID.toString()),
      )
      .addOption(
        new Option('--faucet-balance <wei>', 'faucet balance in wei (0: no faucet)')
          .argParser(parseDecimal)
          .default(DEFAULT_FAUCET_BALANCE_WEI, DEFAULT_FAUCET_BALANCE_WEI.toString()),
      )
      .addOption(
        new Option('--passphrase <p>', 'passphrase of every key written (test networks only)').conflicts(
          'passphraseFile',
        ),
      )
      .option('--passphrase-file <file>', `file holding the passphrase (default: $${PASSPHRASE_ENV})`)
      .option('--scrypt-n <n>', 'scrypt cost N of the keystores', parseScryptN, DEFAULT_SCRYPT_N)
      .option(
        '--genesis-time-ms <ms>',
        'genesis time in ms since the epoch (default: now)',
        parseNonNegativeInt,
      )
      .option('--max-block-txs <n>', `default ${d.maxBlockTxs}`, parsePositiveInt)
      .option('--max-block-bytes <n>', `default ${d.maxBlockBytes}`, parsePositiveInt)
      .option('--base-round-timeout-ms <ms>', `default ${d.baseRoundTimeoutMs}`, parsePositiveInt)
      .option('--base-fee-per-gas <wei>', `default ${d.baseFeePerGas}`, parseDecimal)
      .option('--force', 'overwrite existing files')
      .option('--json', 'print the result as one JSON object')
      .action((options: GenesisOptions) => run(options, io));
  },
};
