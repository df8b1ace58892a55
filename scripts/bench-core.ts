/**
 * Ledger-core benchmark (issue 2). On 100k funded accounts, blocks of 1,000 transfers:
 *  (a) sender recovery (signature check) in tx/s on one core, for each backend;
 *  (b) state transition + account-tree root update + durable lmdb commit, signatures
 *      excluded, in tx/s.
 * Target: (b) >= native (a), measured in this same run. Prints one JSON line last.
 *
 *   npm run bench:core [-- --accounts 100000 --blocks 20 --block-txs 1000 --runs 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildGenesisBlock,
  committedView,
  type ExecutedBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  merkleRoot,
  rebase,
} from '../src/chain/index.js';
import { sha256 } from '../src/crypto/hash.js';
import { addressOf, generateSecretKey } from '../src/crypto/keys.js';
import { loadNativeBackend, nobleBackend, type SignatureBackend } from '../src/crypto/verifier.js';
import { blockCommitOf, genesisCommitOf, LedgerStore } from '../src/store/index.js';
import { recoverSender, type SignedTransfer, signTransfer, type VerifiedTransfer } from '../src/tx/index.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100000' },
    blocks: { type: 'string', default: '20' },
    'block-txs': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    senders: { type: 'string', default: '2000' },
    pipeline: { type: 'string', default: '2' },
    // without the undo records the node writes for account proofs at recent heights
    'no-undo': { type: 'boolean', default: false },
  },
});
const ACCOUNTS = Number(values.accounts);
const BLOCKS = Number(values.blocks);
const BLOCK_TXS = Number(values['block-txs']);
const RUNS = Number(values.runs);
const SENDERS = Number(values.senders);
const PIPELINE = Number(values.pipeline);
const CHAIN_ID = 1337n;
const GWEI = 1_000_000_000n;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Deterministic pseudo-random numbers (mulberry32) so every run does the same work.
let seed = 12345;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

console.error(
  `preparing ${SENDERS} senders, ${ACCOUNTS} funded accounts, ${BLOCKS} blocks of ${BLOCK_TXS} signed transfers`,
);
const secrets = Array.from({ length: SENDERS }, () => generateSecretKey());
const senders = secrets.map(addressOf);
const others = Array.from({ length: ACCOUNTS - SENDERS }, (_, i) =>
  sha256(new Uint8Array(new Uint32Array([i]).buffer)).subarray(0, 20),
);
const funded = [...senders, ...others];
const nonces = new Array<bigint>(SENDERS).fill(0n);
const blocksOfTxs: SignedTransfer[][] = [];
for (let b = 0; b < BLOCKS; b++) {
  const txs: SignedTransfer[] = [];
  for (let i = 0; i < BLOCK_TXS; i++) {
    const s = Math.floor(rand() * SENDERS);
    // 90% to an existing account, 10% to a fresh one: both paths of the tree.
    const to =
      rand() < 0.9
        ? funded[Math.floor(rand() * funded.length)]
        : sha256(new Uint8Array([b, i >> 8, i & 255, 7])).subarray(0, 20);
    txs.push(
      signTransfer(
        {
          chainId: CHAIN_ID,
          nonce: nonces[s]++,
          maxPriorityFeePerGas: GWEI,
          maxFeePerGas: 2n * GWEI,
          gasLimit: 21_000n,
          to,
          value: 1000n,
        },
        secrets[s],
      ),
    );
  }
  blocksOfTxs.push(txs);
}

/** (a): recovery rate of one backend over `count` signed transfers. */
function recoveryRate(backend: SignatureBackend, txs: SignedTransfer[]): number {
  const t0 = performance.now();
  for (const tx of txs) recoverSender(tx, backend);
  return txs.length / ((performance.now() - t0) / 1000);
}

const native = loadNativeBackend();
if (!native) throw new Error('the native secp256k1 binding did not load: (a) needs it');
const sample = blocksOfTxs.flat();
const nobleRates: number[] = [];
const nativeRates: number[] = [];
for (let r = 0; r < RUNS; r++) {
  nobleRates.push(recoveryRate(nobleBackend(), sample.slice(0, 1000)));
  nativeRates.push(recoveryRate(native, sample.slice(0, 10_000)));
}
const verified: VerifiedTransfer[][] = blocksOfTxs.map((txs) => txs.map((tx) => recoverSender(tx, native)));

/** (b): execute + root + durable commit of every block on a fresh store; tx/s over the run. */
async function commitRun(): Promise<{ txPerSec: number; genesisMs: number; cpuUsPerTx: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-core-'));
  try {
    const t0 = performance.now();
    const genesis = buildGenesisBlock({
      chainId: CHAIN_ID,
      timestampMs: 0,
      alloc: funded.map((a) => [a, 10n ** 24n] as const),
      documentHash: new Uint8Array(32),
    });
    const store = LedgerStore.open(dir, genesis.hash);
    await store.initialise(genesisCommitOf(genesis));
    const genesisMs = performance.now() - t0;
    // The node's pipeline: block b executes on the overlays of the blocks whose durable
    // commits are still in flight (at most PIPELINE of them).
    const committed = committedView(store);
    let view: LedgerView = committed;
    let parent = genesis.block.header;
    const inFlight: Array<{ executed: ExecutedBlock; done: Promise<void> }> = [];
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let b = 0; b < BLOCKS; b++) {
      const txs = verified[b];
      const proposer = senders[b % SENDERS];
      const executed = executeBlock(
        view,
        { proposer, transactions: txs },
        { chainId: CHAIN_ID, baseFeePerGas: GWEI },
      );
      const block = {
        header: {
          ...parent,
          height: parent.height + 1,
          round: parent.round + 1,
          parentHash: hashHeader(parent),
          proposer,
          txRoot: merkleRoot(txs.map((t) => t.hash)),
          stateRoot: executed.stateRoot,
          receiptsRoot: executed.receiptsRoot,
        },
        transactions: txs.map((t) => t.raw),
      };
      // as the node does: the explorer's indexes (tx records, block summary) in the same batch
      const commit = store.commitBlock(
        blockCommitOf({
          block,
          hash: hashHeader(block.header),
          executed,
          transfers: txs,
          before: view.state,
          // as the node does: what each block replaced, for account proofs at recent heights
          ...(values['no-undo'] ? {} : { beforeTree: view.tree }),
        }),
      );
      inFlight.push({ executed, done: commit });
      if (inFlight.length > PIPELINE) await inFlight.shift()!.done;
      view = rebase(committed, ...inFlight.map((p) => p.executed));
      parent = block.header;
    }
    await Promise.all(inFlight.map((p) => p.done));
    const txPerSec = (BLOCKS * BLOCK_TXS) / ((performance.now() - start) / 1000);
    const cpu = process.cpuUsage(cpuStart);
    // CPU of every thread of the process (lmdb's writer and the GC included) per transaction.
    const cpuUsPerTx = (cpu.user + cpu.system) / (BLOCKS * BLOCK_TXS);
    await store.close();
    return { txPerSec, genesisMs, cpuUsPerTx };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const commitRates: number[] = [];
const commitCpu: number[] = [];
let genesisMs = 0;
for (let r = 0; r < RUNS; r++) {
  const run = await commitRun();
  commitRates.push(run.txPerSec);
  commitCpu.push(run.cpuUsPerTx);
  genesisMs = run.genesisMs;
}

const result = {
  bench: 'core',
  cpu: cpus()[0]?.model,
  accounts: ACCOUNTS,
  blockTxs: BLOCK_TXS,
  blocks: BLOCKS,
  runs: RUNS,
  pipelineDepth: PIPELINE,
  recoverNobleTxPerSec: Math.round(median(nobleRates)),
  recoverNativeTxPerSec: Math.round(median(nativeRates)),
  commitTxPerSec: Math.round(median(commitRates)),
  commitCpuMicrosPerTx: Number(median(commitCpu).toFixed(1)),
  nativeRecoverMicrosPerTx: Number((1e6 / median(nativeRates)).toFixed(1)),
  commitToNativeRecoveryRatio: Number((median(commitRates) / median(nativeRates)).toFixed(2)),
  genesisBuildMs: Math.round(genesisMs),
};
console.log(JSON.stringify(result));
