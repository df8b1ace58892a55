/**
 * The genesis a devnet runs: the committed genesis/devnet.json, or with `--validators N` a
 * throwaway one made once by `ledger genesis` inside the data directory (so a second start
 * resumes it, and `--reset` deletes it with the chain). Its keys are as weak and as public
 * as the committed ones: passphrase `devnet`, scrypt N 1024.
 */
import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEVNET_CHAIN_ID, DEVNET_PASSPHRASE, THROWAWAY_SCRYPT_N } from './options.js';

export interface DevnetGenesis {
  genesisPath: string;
  chainId: string;
  validators: Array<{ name: string; peerId: string; keyPath: string }>;
  faucetAddress: string;
  faucetKeyPath: string;
  /** The committed devnet.json, whose path and faucet the wallet knows by default. */
  committed: boolean;
}

export class DevnetGenesisError extends Error {
  override readonly name = 'DevnetGenesisError';
}

interface GenesisFileShape {
  chainId: string;
  validators: Array<{ name: string; peerId: string }>;
  alloc: Record<string, string>;
}

async function readGenesisFile(path: string): Promise<GenesisFileShape> {
  let parsed: Partial<GenesisFileShape>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<GenesisFileShape>;
  } catch (err) {
    throw new DevnetGenesisError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed.validators) || typeof parsed.alloc !== 'object' || parsed.alloc === null)
    throw new DevnetGenesisError(`${path} is not a genesis file`);
  return parsed as GenesisFileShape;
}

function describe(
  genesisPath: string,
  file: GenesisFileShape,
  keyPath: (i: number) => string,
  faucetKeyPath: string,
  committed: boolean,
): DevnetGenesis {
  const faucetAddress = Object.keys(file.alloc)[0];
  if (faucetAddress === undefined) throw new DevnetGenesisError(`${genesisPath} funds no faucet account`);
  return {
    genesisPath,
    chainId: file.chainId,
    validators: file.validators.map((v, i) => ({ name: v.name, peerId: v.peerId, keyPath: keyPath(i) })),
    faucetAddress,
    faucetKeyPath,
    committed,
  };
}

export async function committedGenesis(root: string): Promise<DevnetGenesis> {
  const keys = join(root, 'genesis/devnet-keys');
  const path = join(root, 'genesis/devnet.json');
  return describe(
    path,
    await readGenesisFile(path),
    (i) => join(keys, `validator-${i}.json`),
    join(keys, 'faucet.json'),
    true,
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Runs `ledger genesis` through the same launcher the nodes use; its refusal becomes the error. */
function runLedgerGenesis(ledgerBin: string, validators: number, outDir: string): Promise<void> {
  const args = [
    ledgerBin,
    'genesis',
    '--validators',
    String(validators),
    '--out',
    outDir,
    '--chain-id',
    DEVNET_CHAIN_ID,
    '--passphrase',
    DEVNET_PASSPHRASE,
    '--scrypt-n',
    String(THROWAWAY_SCRYPT_N),
    '--json',
  ];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.once('error', (err) => fail(new DevnetGenesisError(`cannot run ledger genesis: ${err.message}`)));
    child.once('exit', (code) =>
      code === 0
        ? done()
        : fail(new DevnetGenesisError(`ledger genesis failed: ${stderr.trim() || `exit ${code}`}`)),
    );
  });
}

/** The throwaway genesis of `validators` validators under `dir`, made on the first start. */
export async function throwawayGenesis(
  ledgerBin: string,
  dir: string,
  validators: number,
): Promise<DevnetGenesis> {
  const genesisPath = join(dir, 'genesis.json');
  if (!(await exists(genesisPath))) await runLedgerGenesis(ledgerBin, validators, dir);
  const file = await readGenesisFile(genesisPath);
  if (file.validators.length !== validators)
    throw new DevnetGenesisError(
      `${genesisPath} has ${file.validators.length} validators, not ${validators}: add --reset to start over with ${validators}`,
    );
  const keys = join(dir, 'keys');
  return describe(
    genesisPath,
    file,
    (i) => join(keys, `validator-${i}.json`),
    join(keys, 'faucet.json'),
    false,
  );
}
