/**
 * Node benchmark (issue 4): four validator processes on this machine, load from a
 * generator of pre-signed transfers submitted to all four nodes over HTTP.
 *  - saturation: committed tx/s while the generator keeps `--window` txs in flight;
 *  - latency: commit latency p50 / p99 at half the saturation rate (open loop);
 *  - RSS of each node; the native recovery rate of one core, measured in the same run
 *    once the nodes have stopped (median of 5 passes),
 *    and throughput as a ratio to (recovery rate x 2 cores / 4 validators).
 * Commits are observed by reading node 0's lmdb store from this process (lmdb allows
 * readers in other processes) every 10 ms, so latency = first sight of the block that
 * holds the tx minus the tx's submission time. Prints one line of JSON last.
 *
 * `lostRounds` counts the rounds of the measured phases that committed no block (each a
 * round timeout the load waited for).
 *
 * Before anything is measured, a warm-up phase runs the saturation load on `--warmup`
 * txs per sender: the nodes sit idle while this script signs, and without it V8 was still
 * compiling the hot paths during the measurement (perf: TurboFan threads took 13% of the
 * machine in the saturation phase, BENCHMARKS.md).
 *
 * With `--explorer-rps N` (issue 11), the latency phase runs twice on the same network: first
 * as above, then again (fresh nonces) while autocannon offers node 0's explorer N req/s (a
 * mix of its home, history and block pages and their API reads); each reports committed
 * tx/s, commit latency p50 and node 0's event-loop delay (GET /api/v1/metrics `eventLoop`,
 * whose window is the time since the previous read: read once before each phase and once
 * after). Node 0's per-client API limits are raised so the load is not refused.
 *
 *   npm run bench [-- --senders 400 --per-sender 40 --warmup 10 --window 3000 --concurrency 4
 *                    --latency-seconds 10 --explorer-rps 1000 --memory-upkeep-ms 0
 *                    --malloc-trim-ms 0]
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { decodeQc } from '../src/consensus/index.js';
import { toHex } from '../src/crypto/bytes.js';
import { addressOf } from '../src/crypto/keys.js';
import { loadNativeBackend } from '../src/crypto/verifier.js';
import { genesisBlockOf } from '../src/node/node.js';
import { LedgerStore } from '../src/store/index.js';
import { recoverSender, type SignedTransfer, signTransfer } from '../src/tx/index.js';
import {
  createTestNet,
  freePorts,
  getJson,
  type NodeProcess,
  postJson,
  spawnNode,
  validatorArgs,
  waitUntil,
} from '../test/e2e/helpers.js';

const { values } = parseArgs({
  options: {
    senders: { type: 'string', default: '400' },
    'per-sender': { type: 'string', default: '40' },
    warmup: { type: 'string', default: '10' },
    window: { type: 'string', default: '3000' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    'latency-seconds': { type: 'string', default: '10' },
    'explorer-rps': { type: 'string', default: '0' },
    // the nodes' --memory-upkeep-ms (their default when not given): 0 measures them without it
    'memory-upkeep-ms': { type: 'string' },
    // likewise the nodes' --malloc-trim-ms
    'malloc-trim-ms': { type: 'string' },
  },
});
const SENDERS = Number(values.senders);
const PER_SENDER = Number(values['per-sender']);
const WARMUP = Number(values.warmup);
const WINDOW = Number(values.window);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const EXPLORER_RPS = Number(values['explorer-rps']);
const MEMORY_UPKEEP_ARGS = [
  ...(values['memory-upkeep-ms'] === undefined ? [] : ['--memory-upkeep-ms', values['memory-upkeep-ms']]),
  ...(values['malloc-trim-ms'] === undefined ? [] : ['--malloc-trim-ms', values['malloc-trim-ms']]),
];
const N = 4;
const GWEI = 1_000_000_000n;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const net = await createTestNet(N, SENDERS, { maxBlockTxs: 1000 });
/** Node 0 answers the explorer load from one address: its per-client limits are raised. */
const EXPLORER_LIMITS = ['--api-requests-per-second', '1000000', '--api-max-concurrent-requests', '10000'];
const ports = await freePorts(2 * N);
const nodes: NodeProcess[] = net.genesis.validators.map((_, i) =>
  spawnNode(
    i,
    [
      ...validatorArgs(net, i, ports.slice(0, N), ports[N + i], 'warn'),
      ...(i === 0 && EXPLORER_RPS > 0 ? EXPLORER_LIMITS : []),
      ...MEMORY_UPKEEP_ARGS,
    ],
    ports[N + i],
  ),
);
async function stopNodes(): Promise<void> {
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exit));
}

try {
  // Pre-sign everything: three phases' worth of nonces per sender (warm-up, saturation,
  // latency), and a second latency phase's with the explorer load.
  const latencyPerSender = EXPLORER_RPS > 0 ? 2 * PER_SENDER : PER_SENDER;
  const perSender = WARMUP + PER_SENDER + latencyPerSender;
  console.error(`signing ${SENDERS * perSender} transfers`);
  const signed: SignedTransfer[][] = net.senders.map((secret, s) =>
    Array.from({ length: perSender }, (_, nonce) =>
      signTransfer(
        {
          chainId: net.genesis.chainId,
          nonce: BigInt(nonce),
          maxPriorityFeePerGas: GWEI,
          maxFeePerGas: 2n * GWEI,
          gasLimit: 21_000n,
          to: net.senders[(s + 1) % SENDERS].subarray(0, 20),
          value: 1n,
        },
        secret,
      ),
    ),
  );

  for (const node of nodes) {
    await waitUntil(
      `node ${node.index} ready`,
      async () => {
        const { body } = await getJson(`${node.apiUrl}/api/v1/status`);
        return (body.peers ?? 0) >= N - 1 && (body.height ?? 0) >= 1 ? body : undefined;
      },
      90_000,
    );
  }

  // Commit observer over node 0's store.
  const store = LedgerStore.open(join(net.dir, 'data-0', 'chain'), genesisBlockOf(net.genesis).hash);
  const committedAt = new Map<string, number>();
  /** Transactions and round of each committed block, in height order. */
  const blockTxs: number[] = [];
  const blockRounds: number[] = [];
  /** The committed block with the most transactions: the explorer load's block page. */
  const busiest = { height: 1, txs: -1 };
  let seenHeight = store.head().height;
  const observe = () => {
    // lmdb readers see new commits after a fresh read transaction; resetReadTxn is implicit per get.
    for (;;) {
      const receipts = store.getReceipts(seenHeight + 1);
      if (!receipts) break;
      seenHeight++;
      const now = performance.now();
      for (const r of receipts) committedAt.set(toHex(r.txHash), now);
      blockTxs.push(receipts.length);
      if (receipts.length > busiest.txs) Object.assign(busiest, { height: seenHeight, txs: receipts.length });
      // the round from the small QC that certifies the block (same round), not by decoding
      // the whole block
      const qc = store.getCommitQc(seenHeight);
      blockRounds.push(qc ? decodeQc(qc).round : store.getBlock(seenHeight)!.header.round);
    }
  };
  const observer = setInterval(observe, 10);

  // Closed loop with `WINDOW` txs in flight, batches round-robin over the nodes.
  // Hex hashes computed once: the generator must not spend the CPU the nodes need (an
  // earlier version re-hexed every submitted hash on each 5 ms poll).
  const hexOf = new Map(signed.flat().map((t) => [t, toHex(t.hash)]));
  const isCommitted = (t: SignedTransfer) => committedAt.has(hexOf.get(t)!);
  /**
   * True once every tx of `txs` is committed. Walks a cursor over the committed prefix, so
   * the polls of a phase cost one lookup per tx in all (an `every` on each 50 ms poll
   * was 16,000 lookups a time, CPU taken from the nodes).
   */
  const allCommitted = (txs: SignedTransfer[]) => {
    let cursor = 0;
    return async () => {
      while (cursor < txs.length && isCommitted(txs[cursor])) cursor++;
      return cursor === txs.length ? true : undefined;
    };
  };
  let target = 0;
  const submitBatch = async (txs: SignedTransfer[]) => {
    const node = nodes[target++ % N];
    const { status } = await postJson(
      `${node.apiUrl}/api/v1/txs`,
      txs.map((t) => toHex(t.raw)),
    );
    if (status !== 200) throw new Error(`batch refused with HTTP ${status}`);
  };
  /** Nonces [from, to) of every sender, senders interleaved so each batch carries many senders' lowest nonces first. */
  const phaseTxs = (from: number, to: number) =>
    signed.flatMap((txs) => txs.slice(from, to)).sort((a, b) => Number(a.nonce - b.nonce));
  const closedLoop = async (queue: SignedTransfer[], what: string) => {
    let submitted = 0;
    let doneUpTo = 0;
    // up to CONCURRENCY requests in flight, as several clients would have: a node answers
    // a batch once it is journaled (an fsync), and one client waiting for each answer in
    // turn measured that wait rather than the nodes
    const requests = new Set<Promise<void>>();
    while (submitted < queue.length) {
      // in flight ~ submitted minus the committed prefix (commits arrive roughly in order)
      while (doneUpTo < submitted && isCommitted(queue[doneUpTo])) doneUpTo++;
      if (submitted - doneUpTo >= WINDOW) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      if (requests.size >= CONCURRENCY) {
        await Promise.race(requests);
        continue;
      }
      const batch = queue.slice(submitted, submitted + BATCH);
      submitted += batch.length;
      const request = submitBatch(batch).finally(() => requests.delete(request));
      requests.add(request);
    }
    await Promise.all(requests);
    await waitUntil(`every ${what} tx committed`, allCommitted(queue), 120_000, 50);
  };

  // Phase 0: warm-up (see the header), not measured.
  if (WARMUP > 0) {
    const warm = phaseTxs(0, WARMUP);
    const t0 = performance.now();
    await closedLoop(warm, 'warm-up');
    console.error(`warm-up: ${warm.length} txs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  // Phase 1: saturation.
  const queue = phaseTxs(WARMUP, WARMUP + PER_SENDER);
  const satStart = performance.now();
  const satCpu = process.cpuUsage();
  const satBlocksFrom = blockTxs.length;
  await closedLoop(queue, 'saturation');
  const satEnd = Math.max(...queue.map((t) => committedAt.get(hexOf.get(t)!)!));
  const satBlocks = blockTxs.slice(satBlocksFrom).filter((n) => n > 0);
  // the generator shares the 2 cores with the nodes: how much of them it took
  const genCpu = process.cpuUsage(satCpu);
  const generatorCores = (genCpu.user + genCpu.system) / 1000 / (satEnd - satStart);
  const saturationTps = queue.length / ((satEnd - satStart) / 1000);
  console.error(`saturation: ${queue.length} txs in ${((satEnd - satStart) / 1000).toFixed(1)} s`);

  // Phase 2: open loop at half the saturation rate; latency of every tx.
  const rate = saturationTps / 2;
  const submittedAt = new Map<string, number>();
  /**
   * An open-loop phase over nonces [from, to): each tx's latency, and the rate committed.
   * `partialAfterMs`: instead of failing, report what committed by then (with the explorer
   * load, node 0 may fall so far behind that its share of the transactions waits minutes).
   */
  // one queue for both open-loop phases, lowest nonces first: the second continues every
  // sender's nonces where the first stopped (a gap would leave its transactions queued)
  const latencyQueue = phaseTxs(WARMUP + PER_SENDER, perSender);
  let queued = 0;
  const openLoop = async (what: string, partialAfterMs?: number) => {
    const count = Math.min(latencyQueue.length - queued, Math.floor(rate * LATENCY_SECONDS));
    const txs = latencyQueue.slice(queued, queued + count);
    queued += count;
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const phaseStart = performance.now();
    for (let i = 0; i < count; i += perTick) {
      const due = phaseStart + (i / perTick) * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const batch = txs.slice(i, Math.min(count, i + perTick));
      const now = performance.now();
      for (const t of batch) submittedAt.set(hexOf.get(t)!, now);
      void submitBatch(batch);
    }
    const sent = txs.slice(0, count);
    const wait = waitUntil(`every ${what} tx committed`, allCommitted(sent), partialAfterMs ?? 120_000, 50);
    if (partialAfterMs === undefined) await wait;
    else await wait.catch(() => undefined);
    const set = sent.filter(isCommitted);
    const committed = set.map((t) => committedAt.get(hexOf.get(t)!)!);
    const latencies = set.map((t, i) => committed[i] - submittedAt.get(hexOf.get(t)!)!);
    const seconds = (Math.max(...committed) - phaseStart) / 1000;
    return { count, latencies, committedTxPerSec: set.length / seconds, uncommitted: count - set.length };
  };
  /** Node 0's event-loop delay since the previous read (each read starts a new window). */
  const node0LoopDelay = async () =>
    (
      await getJson<{ eventLoop?: { p50Ms: number; p99Ms: number; maxMs: number } }>(
        `${nodes[0].apiUrl}/api/v1/metrics`,
      )
    ).body.eventLoop;
  const phaseFigures = (
    phase: Awaited<ReturnType<typeof openLoop>>,
    loop: Awaited<ReturnType<typeof node0LoopDelay>>,
  ) => ({
    committedTxPerSec: Math.round(phase.committedTxPerSec),
    latencyP50Ms: Math.round(percentile(phase.latencies, 50)),
    latencyP99Ms: Math.round(percentile(phase.latencies, 99)),
    node0EventLoopP99Ms: loop?.p99Ms,
    node0EventLoopMaxMs: loop?.maxMs,
    uncommittedTxs: phase.uncommitted,
  });

  await node0LoopDelay();
  const plain = await openLoop('latency-phase');
  const plainLoop = await node0LoopDelay();
  const { count, latencies } = plain;
  let explorer: Record<string, unknown> | undefined;
  if (EXPLORER_RPS > 0) {
    // the same open loop again, with node 0's explorer under load meanwhile
    const address = toHex(addressOf(net.senders[0]));
    const height = busiest.height;
    const paths = [
      '/',
      `/accounts/${address}`,
      `/api/v1/accounts/${address}/txs`,
      `/blocks/${height}`,
      `/api/v1/blocks/${height}`,
      `/api/v1/blocks/${height}/txs`,
    ];
    let load!: autocannon.Instance;
    const loadDone = new Promise<autocannon.Result>((ok, fail) => {
      load = autocannon(
        {
          url: nodes[0].apiUrl,
          requests: paths.map((path) => ({ method: 'GET' as const, path })),
          connections: 20,
          overallRate: EXPLORER_RPS,
          // stopped once the phase's transactions are committed
          duration: 3600,
        },
        (err: Error | null, result: autocannon.Result) => (err ? fail(err) : ok(result)),
      );
    });
    await node0LoopDelay();
    const loaded = await openLoop('explorer-phase', 60_000);
    const loadedLoop = await node0LoopDelay();
    load.stop();
    const http = await loadDone;
    explorer = {
      rps: EXPLORER_RPS,
      paths,
      without: phaseFigures(plain, plainLoop),
      with: {
        ...phaseFigures(loaded, loadedLoop),
        explorerRequestsPerSec: Math.round(http.requests.average),
        explorerP50Ms: http.latency.p50,
        explorerP99Ms: http.latency.p99,
        explorerNon2xx: http.non2xx,
        explorerErrors: http.errors + http.timeouts,
      },
    };
    console.error(`explorer load: ${JSON.stringify(explorer)}`);
  }
  clearInterval(observer);
  // Rounds of the measured phases that committed no block (timeouts, or blocks never
  // certified): each costs the load a round timeout.
  const measured = blockRounds.slice(satBlocksFrom);
  const lostRounds = measured.length === 0 ? 0 : measured.at(-1)! - measured[0] + 1 - measured.length;

  const rssMb = nodes.map((n) => {
    const status = readFileSync(`/proc/${n.child.pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  });
  await store.close();
  await stopNodes();

  // Native recovery on one core, in the same run, with the nodes stopped (so they take
  // nothing from it): the median of 5 passes over 4,000 transactions.
  const native = loadNativeBackend();
  if (!native) throw new Error('the native secp256k1 binding did not load');
  const sample = signed.flat().slice(0, 4_000);
  const passes = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    for (const tx of sample) recoverSender(tx, native);
    return sample.length / ((performance.now() - t0) / 1000);
  });
  const recoveryTps = percentile(passes, 50);
  const budget = (recoveryTps * 2) / N;

  console.log(
    JSON.stringify({
      bench: 'node',
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      concurrency: CONCURRENCY,
      memoryUpkeepMs: values['memory-upkeep-ms'] ?? 'default',
      mallocTrimMs: values['malloc-trim-ms'] ?? 'default',
      validators: N,
      warmupTxs: SENDERS * WARMUP,
      saturationTxs: queue.length,
      saturationTxPerSec: Math.round(saturationTps),
      saturationBlocksWithTxs: satBlocks.length,
      lostRounds,
      saturationTxsPerBlockP50: percentile(satBlocks, 50),
      saturationTxsPerBlockMax: Math.max(...satBlocks),
      generatorCpuCores: Number(generatorCores.toFixed(2)),
      latencyRateTxPerSec: Math.round(rate),
      latencyTxs: count,
      latencyP50Ms: Math.round(percentile(latencies, 50)),
      latencyP99Ms: Math.round(percentile(latencies, 99)),
      latencyCommittedTxPerSec: Math.round(plain.committedTxPerSec),
      node0EventLoopP99Ms: plainLoop?.p99Ms,
      ...(explorer ? { explorer } : {}),
      rssMb,
      recoverNativeTxPerSec: Math.round(recoveryTps),
      ratioToRecoveryBudget: Number((saturationTps / budget).toFixed(3)),
    }),
  );
} finally {
  await stopNodes();
  await rm(net.dir, { recursive: true, force: true });
}
