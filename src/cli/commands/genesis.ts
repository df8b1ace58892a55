/**
 * Two ways to make the genesis.json of a new network:
 *
 * ledger genesis --validators-file FILE --out DIR [--chain-id ID] [--genesis-time-ms MS]
 *                [--max-block-txs N] [--max-block-bytes N] [--base-round-timeout-ms MS]
 *                [--base-fee-per-gas WEI] [--force] [--json]
 *   A real network: FILE lists each validator's public parts (name, address, public key,
 *   peer id; each operator prints theirs with `ledger keys new` on their own host), the
 *   observers and the allocations (src/genesis/public-parts.ts). Writes DIR/genesis.json
 *   only: no key is made, read or written, so no private key leaves its host.
 *
 * ledger genesis --validators N --out DIR [--faucet-balance WEI]
 *                [--passphrase P | --passphrase-file F] [--scrypt-n N] [same options]
 *   A test network: makes every key on this host. Writes DIR/keys/validator-<i>.json and
 *   DIR/keys/faucet.json (v3 keystores, all under one passphrase), then DIR/genesis.json
 *   last, so a genesis.json on disk always has its keys.
 */
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { toHex } from '../../crypto/bytes.js';
import { addressOf, generateSecretKey, toChecksumAddress } from '../../crypto/keys.js';
import { DEFAULT_SCRYPT_N, writeKeystoreFile } from '../../crypto/keystore.js';
import {
  createGenesis,
  DEFAULT_GENESIS_PARAMS,
  type Genesis,
  type GenesisJson,
  type GenesisParams,
  genesisDocumentHash,
  genesisFromParties,
  MAX_VALIDATORS_FILE_BYTES,
  parseValidatorsFile,
} from '../../genesis/index.js';
import { CliError, UsageError } from '../errors.js';
import { formatTable } from '../identity.js';
import type { CliIo } from '../io.js';
import { parseDecimal, parseNonNegativeInt, parsePositiveInt, parseScryptN } from '../options.js';
import { PASSPHRASE_ENV, resolvePassphrase } from '../passphrase.js';
import type { CliCommand } from './command.js';

export const DEFAULT_CHAIN_ID = 1337n;
/** 10^12 ether: plenty for any test network. */
export const DEFAULT_FAUCET_BALANCE_WEI = 10n ** 30n;

interface GenesisOptions {
  validators?: number;
  validatorsFile?: string;
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

function paramsOf(options: GenesisOptions): Partial<GenesisParams> {
  const params: Partial<GenesisParams> = {};
  if (options.maxBlockTxs !== undefined) params.maxBlockTxs = options.maxBlockTxs;
  if (options.maxBlockBytes !== undefined) params.maxBlockBytes = options.maxBlockBytes;
  if (options.baseRoundTimeoutMs !== undefined) params.baseRoundTimeoutMs = options.baseRoundTimeoutMs;
  if (options.baseFeePerGas !== undefined) params.baseFeePerGas = options.baseFeePerGas;
  return params;
}

async function writeGenesisJson(path: string, json: GenesisJson, force: boolean | undefined): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(json, null, 2)}\n`, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST')
      throw new CliError('OUTPUT_EXISTS', `${path} already exists; use --force to overwrite`);
    throw new CliError('WRITE_FAILED', `cannot write ${path}: ${code}`);
  }
}

async function readValidatorsFile(path: string): Promise<string> {
  try {
    // checked before reading: the file is read whole
    const { size } = await stat(path);
    if (size > MAX_VALIDATORS_FILE_BYTES)
      throw new CliError(
        'VALIDATORS_FILE_TOO_LARGE',
        `${path} is larger than ${MAX_VALIDATORS_FILE_BYTES} bytes`,
      );
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') throw new CliError('VALIDATORS_FILE_NOT_FOUND', `no validators file at ${path}`);
    throw new CliError('READ_FAILED', `cannot read ${path}: ${code}`);
  }
}

/** The genesis of a real network, from the public parts its operators shared. */
async function runFromValidatorsFile(file: string, options: GenesisOptions, io: CliIo): Promise<void> {
  const source = resolve(io.cwd, file);
  const dir = resolve(io.cwd, options.out);
  const genesisPath = join(dir, 'genesis.json');
  const parties = parseValidatorsFile(await readValidatorsFile(source), file);
  const params = { ...DEFAULT_GENESIS_PARAMS, ...paramsOf(options) };
  const { json, genesis } = genesisFromParties(parties, {
    chainId: options.chainId,
    genesisTimeMs: options.genesisTimeMs ?? Date.now(),
    params: { ...params, baseFeePerGas: params.baseFeePerGas.toString() },
    source: file,
  });
  await mkdir(dir, { recursive: true });
  await writeGenesisJson(genesisPath, json, options.force);
  printSummary(io, options.json, genesisPath, genesis, json, undefined, undefined);
}

/** What was written: the same lines (or JSON fields) for both ways of making a genesis. */
function printSummary(
  io: CliIo,
  asJson: boolean | undefined,
  genesisPath: string,
  genesis: Genesis,
  json: GenesisJson,
  keystoreOf: ((index: number) => string) | undefined,
  faucet: { address: string; balance: string; keystore: string } | undefined,
): void {
  // the hash that names the chain: operators compare it to know they hold the same genesis
  const hash = toHex(genesisDocumentHash(genesis));
  if (asJson) {
    const validators = genesis.validators.map((v, i) => ({
      name: v.name,
      address: json.validators[i].address,
      peerId: v.peerId,
      ...(keystoreOf ? { keystore: keystoreOf(i) } : {}),
    }));
    const summary = {
      genesis: genesisPath,
      genesisHash: hash,
      chainId: genesis.chainId.toString(),
      faultTolerance: genesis.faultTolerance,
      quorum: genesis.quorum,
      validators,
      observers: genesis.observers.map((o) => ({ name: o.name, peerId: o.peerId })),
      faucet,
    };
    io.stdout(`${JSON.stringify(summary)}\n`);
    return;
  }
  const n = genesis.validators.length;
  const rows: Array<readonly [string, string]> = [
    ['genesis', genesisPath],
    ['genesis hash', hash],
    ['chain id', genesis.chainId.toString()],
    ['validators', `${n} (tolerates ${genesis.faultTolerance} faulty; quorum ${genesis.quorum})`],
  ];
  genesis.validators.forEach((v, i) => {
    const keystore = keystoreOf ? `  ${keystoreOf(i)}` : '';
    rows.push([v.name, `${json.validators[i].address}  ${v.peerId}${keystore}`]);
  });
  for (const o of genesis.observers) rows.push([o.name, `observer  ${o.peerId}`]);
  if (faucet) rows.push(['faucet', `${faucet.address}  ${faucet.balance} wei  ${faucet.keystore}`]);
  io.stdout(formatTable(rows));
}

async function run(options: GenesisOptions, io: CliIo): Promise<void> {
  if (options.validatorsFile !== undefined) return runFromValidatorsFile(options.validatorsFile, options, io);
  if (options.validators === undefined)
    throw new UsageError(
      'MISSING_OPTION',
      'give --validators-file FILE (a real network) or --validators N (a test network)',
    );
  const validatorCount = options.validators;
  const passphrase = await resolvePassphrase(options, io, 'create');
  const dir = resolve(io.cwd, options.out);
  const keysDir = join(dir, 'keys');
  const genesisPath = join(dir, 'genesis.json');
  const validatorPath = (i: number) => join(keysDir, `validator-${i}.json`);
  const faucetPath = join(keysDir, 'faucet.json');
  const withFaucet = options.faucetBalance > 0n;

  // Refuse before any (slow) key derivation if something would be overwritten.
  if (!options.force) {
    const targets = [genesisPath, ...Array.from({ length: validatorCount }, (_, i) => validatorPath(i))];
    if (withFaucet) targets.push(faucetPath);
    for (const target of targets) {
      if (await exists(target)) {
        throw new CliError('OUTPUT_EXISTS', `${target} already exists; use --force to overwrite`);
      }
    }
  }

  const params = paramsOf(options);

  const faucetSecret = withFaucet ? generateSecretKey() : undefined;
  const secrets: Uint8Array[] = faucetSecret ? [faucetSecret] : [];
  try {
    // Validates chain id and params (GenesisError) before anything is written.
    const created = createGenesis({
      validators: validatorCount,
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
    await writeGenesisJson(genesisPath, created.json, options.force);

    const faucet = faucetSecret
      ? {
          address: toChecksumAddress(addressOf(faucetSecret)),
          balance: options.faucetBalance.toString(),
          keystore: faucetPath,
        }
      : undefined;
    printSummary(io, options.json, genesisPath, created.genesis, created.json, validatorPath, faucet);
  } finally {
    for (const secret of secrets) secret.fill(0);
  }
}

export const genesisCommand: CliCommand = {
  register(program: Command, io: CliIo): void {
    const d = DEFAULT_GENESIS_PARAMS;
    program
      .command('genesis')
      .description(
        'write the genesis.json of a new network: from the public parts of its validators (--validators-file), or with every key made here for a test network (--validators N)',
      )
      .addOption(
        new Option(
          '--validators-file <file>',
          "a real network: validators' names, addresses, public keys and peer ids (from `ledger keys new` on each host), observers and allocations, as JSON or text (docs/OPERATIONS.md); writes genesis.json only, no key",
        ).conflicts(['validators', 'passphrase', 'passphraseFile', 'scryptN', 'faucetBalance']),
      )
      .addOption(
        new Option(
          '--validators <n>',
          'a test network: make n validator keys and a faucet key here, all under one passphrase (never for a real network: every key would leave this host)',
        ).argParser(parsePositiveInt),
      )
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
