/**
 * The benchmark's server, in a process of its own so that the load generator does not
 * share its event loop: the real API server (createApiServer) with the real reader and the
 * explorer's pages, as src/node/node.ts composes them, over a copy of the built store, with
 * the per-client limits raised (the load comes from one address). It measures its own
 * event-loop delay and how long each request held it, and commits live blocks on request.
 *   started by scripts/bench-explorer.ts with fork():
 *   argv STORE_DIR BLOCKS TXS_PER_BLOCK HOT_SHARE cache|no-cache
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import {
  apiServerOptions,
  createApiServer,
  EventStreams,
  type NodeApi,
  type NodeStatus,
} from '../../explorer/server/index.js';
import { createExplorerPages } from '../../explorer/web/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { threadCpuClock } from '../../src/os/index.js';
import { createExplorerStore } from '../../test/support/explorer-store.js';
import { type FromServer, type Snapshot, type ToServer, wallClockMs } from './protocol.js';
import { percentile } from './stats.js';
import { storeOptions } from './store.js';

const [dir, blocks, txsPerBlock, hotShare, caching] = process.argv.slice(2);
/** The pages' and the API's caches of committed data, or none (every request reads and renders). */
const cachesOff = caching === 'no-cache';
const shape = { blocks: Number(blocks), txsPerBlock: Number(txsPerBlock), hotAccountShare: Number(hotShare) };
const chain = await createExplorerStore(storeOptions(shape, dir));
if (chain.store.head().height !== shape.blocks) throw new Error('the copied store was not reused as built');
const send = (message: FromServer) => process.send?.(message);

const status = (): NodeStatus => {
  const head = chain.reader.head();
  return {
    chainId: '1337',
    height: head.height,
    headHash: head.hash,
    round: head.height + 1,
    leader: null,
    syncing: false,
    peers: 0,
    mempoolSize: chain.mempool.size(),
    role: 'observer',
    peerId: 'bench-explorer',
  };
};
const api: NodeApi = {
  status,
  peers: () => [],
  metrics: () => ({ mempool: chain.mempool.metrics(), network: null, consensus: null }),
  evidence: () => [],
  transactionStatus: (hash) => ({ hash: toHex(hash), status: 'unknown' }),
  submitTransactions: async (raws) =>
    raws.map(() => ({ error: 'READ_ONLY', message: 'the benchmark serves reads', kind: 'invalid' as const })),
  explorer: chain.reader,
};
const onError = (err: unknown) => console.error('handler failed:', (err as Error)?.message);
// one address sends the whole load and holds every stream
const limits = {
  requestsPerSecond: 1_000_000,
  burstRequests: 1_000_000,
  maxConcurrentRequestsPerClient: 10_000,
  maxConnectionsPerClient: 10_000,
  maxConnections: 10_000,
  maxEventStreams: 1_000,
  maxEventStreamsPerClient: 1_000,
};
const events = new EventStreams(chain.reader, apiServerOptions(limits));
const server = createApiServer(api, {
  onError,
  pages: createExplorerPages(chain.reader, {
    status,
    onError,
    ...(cachesOff ? { pageCacheEntries: 0 } : {}),
  }),
  server: limits,
  events,
  ...(cachesOff ? { responseCacheEntries: 0 } : {}),
});

// how long each request held the loop, from its arrival to its end() call, and the CPU
// time of the process and of the main thread meanwhile (the explorer's GET handlers are
// synchronous, so the main thread's CPU time is the handler's work plus any collection
// pause on that thread)
const mainThreadCpuMs = threadCpuClock();
if (mainThreadCpuMs === undefined)
  throw new Error('the thread CPU clock (src/os, through koffi) is unavailable');
let handlerMs: number[] = [];
let slowest = { ms: 0, path: '' };
let cpuMaxMs = 0;
let mainThreadCpuMaxMs = 0;
/** Over the requests held at most 5 ms: the most main-thread CPU time (or time held, if less). */
let fastWorkMaxMs = 0;
/** Requests over 5 ms: [start, end] on the performance clock, the process's and the main thread's CPU ms meanwhile. */
let slowSpans: Array<[number, number, number, number]> = [];
server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const threadAtStart = mainThreadCpuMs();
  const end = res.end;
  res.end = function (this: ServerResponse, ...args: Parameters<typeof end>) {
    const threadMs = mainThreadCpuMs() - threadAtStart;
    const now = performance.now();
    const ms = now - started;
    const cpu = process.cpuUsage(cpuAtStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    cpuMaxMs = Math.max(cpuMaxMs, cpuMs);
    mainThreadCpuMaxMs = Math.max(mainThreadCpuMaxMs, threadMs);
    handlerMs.push(ms);
    if (ms > 5) slowSpans.push([started, now, cpuMs, threadMs]);
    else fastWorkMaxMs = Math.max(fastWorkMaxMs, Math.min(ms, threadMs));
    if (ms > slowest.ms) slowest = { ms, path: req.url ?? '' };
    return end.apply(this, args);
  } as typeof end;
});

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
// a long handler time may be a collection rather than the handler's own work
let gcMaxMs = 0;
let gcSpans: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMaxMs = Math.max(gcMaxMs, entry.duration);
    gcSpans.push([entry.startTime, entry.startTime + entry.duration]);
  }
}).observe({ entryTypes: ['gc'] });

/**
 * Over the requests held more than 5 ms: the longest less the collection pauses inside it;
 * how many of them the main thread spent less than 5 ms of CPU on (off the CPU: preempted);
 * and a bound on the longest time a handler's own work held the loop: per request, the
 * lesser of its time less collections and the main thread's CPU time meanwhile, and at
 * least the same bound over the requests held at most 5 ms.
 */
const slowBreakdown = (): { maxWithoutGcMs: number; offCpu: number; workMaxMs: number } => {
  let maxWithoutGcMs = 0;
  let offCpu = 0;
  let workMaxMs = fastWorkMaxMs;
  for (const [from, to, , threadMs] of slowSpans) {
    let gc = 0;
    for (const [a, b] of gcSpans) gc += Math.max(0, Math.min(b, to) - Math.max(a, from));
    maxWithoutGcMs = Math.max(maxWithoutGcMs, to - from - gc);
    if (threadMs < 5) offCpu++;
    workMaxMs = Math.max(workMaxMs, Math.min(to - from - gc, threadMs));
  }
  return { maxWithoutGcMs, offCpu, workMaxMs };
};

// the head's announcement: this listener is subscribed first, so it runs before the
// streams' one; a second one subscribed once the streams are open runs after theirs
let announcedAt = 0;
chain.reader.subscribe({
  onHead: (height) => {
    announcedAt = performance.now();
    send({ type: 'committed', height, atMs: wallClockMs() });
  },
  onPendingTx: () => {},
});
let fanOutMs: number[] = [];
let cpuAtReset = process.cpuUsage();

const reset = () => {
  loop.reset();
  handlerMs = [];
  slowest = { ms: 0, path: '' };
  cpuMaxMs = 0;
  mainThreadCpuMaxMs = 0;
  fastWorkMaxMs = 0;
  slowSpans = [];
  gcSpans = [];
  fanOutMs = [];
  gcMaxMs = 0;
  cpuAtReset = process.cpuUsage();
};
const snapshot = (): Snapshot => ({
  loop: {
    p50Ms: loop.percentile(50) / 1e6,
    p99Ms: loop.percentile(99) / 1e6,
    maxMs: loop.max / 1e6,
    meanMs: loop.mean / 1e6,
  },
  handlers: {
    count: handlerMs.length,
    p99Ms: percentile(handlerMs, 99),
    maxMs: slowest.ms,
    slowestPath: slowest.path,
    over5Ms: slowSpans.length,
    cpuMaxMs,
    mainThreadCpuMaxMs,
    ...slowBreakdown(),
  },
  fanOutMaxMs: fanOutMs.length ? Math.max(...fanOutMs) : 0,
  fanOutP99Ms: percentile(fanOutMs, 99),
  gcMaxMs,
  cpuMsPerRequest: (() => {
    const used = process.cpuUsage(cpuAtReset);
    return handlerMs.length ? (used.user + used.system) / 1000 / handlerMs.length : 0;
  })(),
  streams: events.size(),
});

const live = async (count: number, intervalMs: number, txs: number) => {
  const unsubscribe = chain.reader.subscribe({
    onHead: () => fanOutMs.push(performance.now() - announcedAt),
    onPendingTx: () => {},
  });
  const first = chain.store.head().height + 1;
  const startedAt = performance.now();
  for (let i = 0; i < count; i++) {
    const due = startedAt + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await chain.commitBlock(txs);
  }
  unsubscribe();
  send({ type: 'live-done', first, last: chain.store.head().height });
};

process.on('message', (message: ToServer) => {
  if (message.type === 'reset') reset();
  else if (message.type === 'snapshot') send({ type: 'snapshot', snapshot: snapshot() });
  else if (message.type === 'live') void live(message.blocks, message.intervalMs, message.txs);
  else if (message.type === 'stop')
    server.close(() => {
      loop.disable();
      void chain.close().then(() => process.exit(0));
    });
});

server.listen(0, '127.0.0.1', () => {
  send({
    type: 'ready',
    port: (server.address() as AddressInfo).port,
    head: chain.store.head().height,
    hotAddress: toHex(chain.addresses[0]),
  });
});
