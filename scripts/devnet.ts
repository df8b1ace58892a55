/**
 * `npm start`: the 4-validator devnet (genesis/devnet.json, test-only keys in
 * genesis/devnet-keys, passphrase `devnet`) as 4 `ledger node` child processes on
 * 127.0.0.1, data under ./data/devnet/v<i>, p2p ports 7000-7003, APIs on 8080-8083, and
 * node 0's Ethereum JSON-RPC on 8545 (the port Ethereum tools try first).
 * Ctrl-C (or SIGTERM) stops every node and waits for them.
 *
 *   npx tsx scripts/devnet.ts [--fresh]    --fresh wipes ./data/devnet first
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GENESIS = join(ROOT, 'genesis/devnet.json');
const DATA = join(ROOT, 'data/devnet');
const P2P_BASE = 7000;
const API_BASE = 8080;
const RPC_PORT = 8545;

const genesis = JSON.parse(readFileSync(GENESIS, 'utf8')) as { validators: Array<{ peerId: string }> };
const n = genesis.validators.length;
const p2p = (i: number) => `/ip4/127.0.0.1/tcp/${P2P_BASE + i}`;

if (process.argv.includes('--fresh')) await rm(DATA, { recursive: true, force: true });
await mkdir(DATA, { recursive: true });

const children: ChildProcess[] = [];
let stopping = false;

function prefixLines(i: number, chunk: Buffer, out: NodeJS.WriteStream): void {
  for (const line of chunk.toString('utf8').split('\n')) if (line.length > 0) out.write(`[v${i}] ${line}\n`);
}

for (let i = 0; i < n; i++) {
  const bootstrap = genesis.validators.flatMap((v, j) =>
    j === i ? [] : ['--bootstrap', `${p2p(j)}/p2p/${v.peerId}`],
  );
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/ledger.js'),
      'node',
      '--genesis',
      GENESIS,
      '--key',
      join(ROOT, `genesis/devnet-keys/validator-${i}.json`),
      '--data',
      join(DATA, `v${i}`),
      '--listen',
      p2p(i),
      ...bootstrap,
      '--api-port',
      String(API_BASE + i),
      ...(i === 0 ? ['--rpc-port', String(RPC_PORT)] : []),
    ],
    { env: { ...process.env, LEDGER_PASSPHRASE: 'devnet' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let olderFormat = false;
  child.stdout?.on('data', (c: Buffer) => prefixLines(i, c, process.stdout));
  child.stderr?.on('data', (c: Buffer) => {
    olderFormat ||= c.includes('UNSUPPORTED_FORMAT');
    prefixLines(i, c, process.stderr);
  });
  child.on('exit', (code, signal) => {
    process.stderr.write(`[v${i}] exited (${signal ?? `code ${code}`})\n`);
    if (olderFormat)
      process.stderr.write(
        'devnet: ./data/devnet was written by an older version: `npm start -- --fresh` starts over\n',
      );
    if (!stopping) void stopAll(1);
  });
  children.push(child);
}

process.stdout.write(
  `devnet: ${n} validators; explorer at http://127.0.0.1:${API_BASE} (API: /api/v1/status; ` +
    `nodes 1-${n - 1}: ports ${API_BASE + 1}-${API_BASE + n - 1}); Ethereum JSON-RPC at ` +
    `http://127.0.0.1:${RPC_PORT} (chain id 1337); Ctrl-C stops all\n`,
);

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done();
          c.once('exit', () => done());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
