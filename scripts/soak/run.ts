/**
 * The chaos soak (issue 15, section 2): four validators and an observer as real processes
 * under a continuous wallet load, a seeded fault on one validator at a time (kill -9,
 * SIGSTOP, and where the machine allows a network partition, with every node then in its
 * own network namespace), then the checks of verify.ts, the longest stall of the
 * validators and of the observer, whether and how soon every validator voted again after
 * each fault, processes that died on their own, and each node's memory over the run.
 */
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { getJson } from '../../test/e2e/helpers.js';
import { Prng } from '../../test/sim/prng.js';
import { type SoakCluster, type SoakNode, startCluster, VALIDATORS } from './cluster.js';
import { FAULTS, FaultDeck, type FaultRecord } from './faults.js';
import { type LoadFigures, WalletLoad } from './load.js';
import { type MemoryFigures, type MemorySample, memoryFigures, sampleMemory } from './memory.js';
import { removeSoakLeftovers, SoakNetwork, whyPartitionsUnavailable } from './netns.js';
import { type FaultKind, resolveSoakOptions, type SoakOptions } from './options.js';
import { type ChainFigures, checkChains, settle } from './verify.js';

/** A validator votes again once its last voted round is this close to its peers' round. */
export const REJOIN_ROUND_SLACK = 3;
/** How long a validator may take to vote again after a fault before it is reported as not rejoining. */
const REJOIN_TIMEOUT_MS = 90_000;
const RESTART_AFTER_DEATH_MS = 2_000;
const MAX_RESTARTS_AFTER_DEATH = 3;

export interface Participation {
  validator: number;
  /** Its own GET /api/v1/metrics: null while it is not running consensus (an observer, or syncing). */
  lastVotedRound: number | null;
  peerRound: number | null;
  voting: boolean;
  /** Another validator's view (GET /api/v1/validators), over its recent rounds. */
  uptimeSeenByPeer: number | null;
}

export interface Death {
  node: string;
  pid: number;
  code: number | null;
  signal: string | null;
  atMs: number;
  tail: string;
}

export interface SoakReport {
  soak: 'chaos';
  ok: boolean;
  failures: string[];
  seed: number;
  minutes: number;
  /** The machine's 1/5/15-minute load averages at the end (the figures depend on them). */
  loadAverage: number[];
  load: LoadFigures;
  settledHeight: number;
  chain: ChainFigures;
  /** The longest gap between two commits seen by a validator that was not faulty meanwhile. */
  longestValidatorStallMs: number;
  /** The longest gap between two commits seen by the observer (it follows; it is never faulted). */
  longestObserverStallMs: number;
  stallMsByNode: Record<string, number>;
  faults: FaultRecord[];
  /** Per fault kind: how many, how many were followed by the validator voting again, and how soon. */
  rejoinByKind: Partial<Record<FaultKind, RejoinFigures>>;
  /** Whether partitions were drawn (why not, when asked for and the machine cannot), and how many were cut and healed. */
  partitions: { available: boolean; unavailableReason: string | null; cut: number; healed: number };
  /** Faults after which the validator did not vote again within the wait: with the seed, a reproduction. */
  notRejoined: Array<{ seed: number; fault: FaultRecord }>;
  participationAtEnd: Participation[];
  deaths: Death[];
  /** Exit codes of the final SIGTERM stop (0 each when shutdown is clean). */
  stopExits: Record<string, number | string | null>;
  memory: MemoryFigures[];
  dataDir: string;
}

export interface RejoinFigures {
  faults: number;
  rejoined: number;
  maxMs: number | null;
  medianMs: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rejoinByKind(faults: readonly FaultRecord[]): SoakReport['rejoinByKind'] {
  const out: SoakReport['rejoinByKind'] = {};
  for (const kind of new Set(faults.map((f) => f.kind))) {
    const of = faults.filter((f) => f.kind === kind);
    const times = of
      .flatMap((f) => (f.rejoinedAfterMs === null ? [] : [f.rejoinedAfterMs]))
      .sort((a, b) => a - b);
    out[kind] = {
      faults: of.length,
      rejoined: times.length,
      maxMs: times.at(-1) ?? null,
      medianMs: times.length > 0 ? times[Math.floor((times.length - 1) / 2)] : null,
    };
  }
  return out;
}

/**
 * The namespaces the soak's nodes run in when partitions are among its faults and the
 * machine allows them; otherwise why not (the soak then draws from the other kinds).
 */
async function partitionNetwork(
  o: SoakOptions,
): Promise<{ network?: SoakNetwork; unavailableReason: string | null }> {
  // what a soak killed with -9 left behind (namespaces of pids no longer alive), whichever faults this one runs
  if (process.getuid?.() === 0) await removeSoakLeftovers();
  if (!o.faults.includes('partition')) return { unavailableReason: null };
  const reason = await whyPartitionsUnavailable();
  if (reason) {
    o.log(
      `partitions unavailable, drawing only ${o.faults.filter((k) => k !== 'partition').join(', ') || 'no faults'}: ${reason}`,
    );
    return { unavailableReason: reason };
  }
  const network = await SoakNetwork.create(VALIDATORS + 1);
  o.log(`nodes in network namespaces on ${network.subnet}.0/24 (partitions on)`);
  return { network, unavailableReason: null };
}

async function api<T>(node: SoakNode, path: string): Promise<T | undefined> {
  try {
    const { status, body } = await getJson<T>(`${node.apiUrl}/api/v1${path}`);
    return status === 200 ? body : undefined;
  } catch {
    return undefined;
  }
}

async function participation(cluster: SoakCluster, v: number, peer: SoakNode): Promise<Participation> {
  const [metrics, status, validators] = await Promise.all([
    api<{ consensus?: { lastVotedRound?: number } | null }>(cluster.validators[v], '/metrics'),
    api<{ round?: number }>(peer, '/status'),
    api<{ validators?: Array<{ index: number; uptime: number | null }> }>(peer, '/validators'),
  ]);
  const lastVotedRound = metrics?.consensus?.lastVotedRound ?? null;
  const peerRound = status?.round ?? null;
  return {
    validator: v,
    lastVotedRound,
    peerRound,
    voting: lastVotedRound !== null && peerRound !== null && lastVotedRound >= peerRound - REJOIN_ROUND_SLACK,
    uptimeSeenByPeer: validators?.validators?.find((x) => x.index === v)?.uptime ?? null,
  };
}

/** Per node: the longest gap between height increases while nothing happened to it. */
class StallTracker {
  readonly maxGapMs = new Map<SoakNode, number>();
  private readonly last = new Map<SoakNode, { height: number; atMs: number }>();

  /** The node is faulty (or rejoining): its gaps are not an honest node's. */
  forget(node: SoakNode): void {
    this.last.delete(node);
  }

  async sample(nodes: readonly SoakNode[], faulty: ReadonlySet<SoakNode>): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (faulty.has(node)) return;
        const status = await api<{ height?: number }>(node, '/status');
        if (status?.height === undefined || faulty.has(node)) return;
        const now = performance.now();
        const last = this.last.get(node);
        if (!last) {
          this.last.set(node, { height: status.height, atMs: now });
        } else if (status.height > last.height) {
          this.maxGapMs.set(node, Math.max(this.maxGapMs.get(node) ?? 0, now - last.atMs));
          this.last.set(node, { height: status.height, atMs: now });
        }
      }),
    );
  }

  /** Gaps still open count too. */
  close(nodes: readonly SoakNode[]): void {
    const now = performance.now();
    for (const node of nodes) {
      const last = this.last.get(node);
      if (last) this.maxGapMs.set(node, Math.max(this.maxGapMs.get(node) ?? 0, now - last.atMs));
    }
  }
}

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o = resolveSoakOptions(partial);
  const prng = new Prng(o.seed);
  const runMs = o.minutes * 60_000;
  o.log(`starting 4 validators and an observer (seed ${o.seed}, ${o.tps} tx/s, ${o.minutes} min)`);
  const { network, unavailableReason } = await partitionNetwork(o);
  const kinds = network ? o.faults : o.faults.filter((k) => k !== 'partition');
  const deck = new FaultDeck(
    kinds,
    prng,
    o.firstFault !== undefined && kinds.includes(o.firstFault) ? o.firstFault : undefined,
  );
  let cluster: SoakCluster;
  try {
    cluster = await startCluster(o, network);
  } catch (err) {
    await network?.remove();
    throw err;
  }
  const { validators, observer, all } = cluster;
  const faulty = new Set<SoakNode>();
  const deaths: Death[] = [];
  const faults: FaultRecord[] = [];
  const partitions = { cut: 0, healed: 0 };
  const notRejoined: SoakReport['notRejoined'] = [];
  const memory = new Map<SoakNode, MemorySample[]>(all.map((n) => [n, []]));
  const stalls = new Map<SoakNode, number>();
  const tracker = new StallTracker();
  const load = new WalletLoad(cluster.net.genesis.chainId, cluster.net.senders, all, o.tps);
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  let timers: NodeJS.Timeout[] = [];
  let deathWatch = Promise.resolve();

  // a process that exits without the soak's kill died on its own: recorded, and restarted
  // after a pause, up to MAX_RESTARTS_AFTER_DEATH times (a node that cannot start stays down)
  const watchDeaths = () => {
    for (const node of all) {
      const current = node.current;
      if (!current?.exit || current.killedBySoak || deaths.some((d) => d.pid === current.pid)) continue;
      deaths.push({
        node: node.name,
        pid: current.pid,
        code: current.exit.code,
        signal: current.exit.signal,
        atMs: since(),
        tail: node.tailText(),
      });
      const times = deaths.filter((d) => d.node === node.name).length;
      o.log(`${node.name} died on its own (${current.exit.code ?? current.exit.signal}), time ${times}`);
      if (times <= MAX_RESTARTS_AFTER_DEATH)
        setTimeout(() => {
          if (!node.running) node.start(Date.now());
        }, RESTART_AFTER_DEATH_MS).unref();
    }
  };

  try {
    load.start();
    let sampling = false;
    let memorySamples = 0;
    timers = [
      setInterval(() => {
        if (sampling) return;
        sampling = true;
        watchDeaths();
        void tracker.sample(all, faulty).finally(() => {
          sampling = false;
        });
      }, o.heightSampleMs),
      setInterval(() => {
        const atMs = since();
        const detailed = memorySamples++ % o.detailedSampleEvery === 0;
        deathWatch = sampleMemory(all, atMs, detailed).then((samples) => {
          for (const [i, s] of samples.entries()) if (s) memory.get(all[i])?.push(s);
        });
      }, o.memorySampleMs),
      setInterval(() => {
        const f = load.figures();
        o.log(
          `${Math.round(since() / 1000)} s: acknowledged ${f.acknowledged} (${f.acknowledgedTps} tx/s), faults ${faults.length}`,
        );
      }, 30_000),
    ];

    // the fault schedule: one validator at a time, the next only once it votes again
    let stuck: number | undefined;
    while (kinds.length > 0) {
      const gap = Math.round(prng.range(o.faultEveryMinMs, o.faultEveryMaxMs));
      const kind = deck.next();
      const v = stuck ?? prng.int(VALIDATORS);
      const lengthMs = FAULTS[kind].lengthMs(prng, o);
      if (since() + gap + lengthMs >= runMs) break;
      await sleep(gap);
      const node = validators[v];
      faulty.add(node);
      tracker.forget(node);
      const startedAtMs = since();
      o.log(`fault: ${kind} validator-${v} for ${lengthMs} ms`);
      await FAULTS[kind].begin({ node, network });
      if (kind === 'partition') partitions.cut++;
      await sleep(lengthMs);
      const cutEvidence = await FAULTS[kind].end({ node, network });
      if (kind === 'partition') partitions.healed++;
      const endedAtMs = since();
      const peer = validators[(v + 1) % VALIDATORS];
      let seen: Participation | undefined;
      while (since() - endedAtMs < REJOIN_TIMEOUT_MS) {
        seen = await participation(cluster, v, peer);
        if (seen.voting) break;
        await sleep(500);
      }
      const rejoined = seen?.voting === true;
      const record: FaultRecord = {
        kind,
        validator: v,
        startedAtMs,
        endedAtMs,
        rejoinedAfterMs: rejoined ? since() - endedAtMs : null,
        uptimeSeenByPeer: seen?.uptimeSeenByPeer ?? null,
        lastVotedRound: seen?.lastVotedRound ?? null,
        peerRound: seen?.peerRound ?? null,
      };
      if (cutEvidence && network) {
        const now = new Set(await network.connections(node.host));
        record.partition = {
          droppedPackets: cutEvidence.droppedPackets,
          connectionsAtCut: cutEvidence.connectionsAtCut.length,
          connectionsAtHeal: cutEvidence.connectionsAtCut.filter((c) =>
            cutEvidence.connectionsAtHeal.includes(c),
          ).length,
          connectionsKept: cutEvidence.connectionsAtCut.filter((c) => now.has(c)).length,
        };
        o.log(
          `partition of validator-${v}: ${record.partition.droppedPackets} packets dropped, ` +
            `of its ${record.partition.connectionsAtCut} connections ${record.partition.connectionsAtHeal} open at the heal ` +
            `and ${record.partition.connectionsKept} once voting, ` +
            `voting again ${record.rejoinedAfterMs ?? 'never'} ms after the heal`,
        );
      }
      faults.push(record);
      if (!rejoined) {
        notRejoined.push({ seed: o.seed, fault: record });
        o.log(`validator-${v} did not vote again within ${REJOIN_TIMEOUT_MS} ms of ${kind} (seed ${o.seed})`);
      }
      // a validator that does not vote counts as the one faulty validator: the next fault is its
      stuck = rejoined ? undefined : v;
      if (rejoined) faulty.delete(node);
    }
    await sleep(Math.max(0, runMs - since()));
    for (const t of timers) clearInterval(t);
    timers = [];
    await deathWatch;
    watchDeaths();
    tracker.close(all.filter((n) => !faulty.has(n)));
    for (const [node, gap] of tracker.maxGapMs) stalls.set(node, Math.round(gap));
    await load.stop();
    const loadFigures = load.figures();
    o.log(`load stopped: ${loadFigures.acknowledged} acknowledged; waiting for every node to commit them`);

    // a failed wait is a failure of the run, not of the report: the chains, the memory and
    // the load's refusals are still what a reader needs to find out why
    const failures: string[] = [];
    let settledHeight: number;
    try {
      settledHeight = await settle(observer, all, load, o.settleTimeoutMs);
    } catch (err) {
      // where every node stood, and what it last said: the failure a reader starts from
      const views = await Promise.all(
        all.map(async (n) => {
          const s = await api<{ height?: number; round?: number; peers?: number }>(n, '/status');
          // where transactions go missing: gossip this node dropped, and what its pool refused
          const m = await api<{
            mempool?: { rejected?: Record<string, number> };
            network?: { dropped?: unknown; backpressurePauses?: number };
          }>(n, '/metrics');
          const counters = `gossip dropped ${JSON.stringify(m?.network?.dropped ?? null)}, backpressure pauses ${m?.network?.backpressurePauses ?? '?'}, pool refusals ${JSON.stringify(m?.mempool?.rejected ?? null)}`;
          return {
            height: s?.height,
            text: `${n.name} (${n.running ? 'running' : 'down'}): height ${s?.height} round ${s?.round} peers ${s?.peers}\n${counters}\n${n.tailText(5)}`,
          };
        }),
      );
      o.log(`${(err as Error).message} (seed ${o.seed})\n${views.map((v) => v.text).join('\n')}`);
      failures.push(`not settled: ${(err as Error).message.split('\n')[0]}`);
      settledHeight = Math.min(...views.map((v) => v.height ?? 0));
    }
    o.log(`comparing chains up to height ${settledHeight}`);
    const chain = await checkChains(observer, all, load, settledHeight, prng);
    const participationAtEnd = await Promise.all(
      validators.map((_, v) => participation(cluster, v, validators[(v + 1) % VALIDATORS])),
    );
    watchDeaths();
    const stopExits: SoakReport['stopExits'] = {};
    for (const node of all) {
      node.signal('SIGCONT');
      const exit = await node.stop();
      stopExits[node.name] = exit?.code ?? exit?.signal ?? null;
    }
    const memoryReport = all.map((n) => memoryFigures(n.name, memory.get(n) ?? [], runMs));
    // the raw samples, so a run's figures can be fitted again over other windows
    if (o.logDir)
      writeFileSync(
        join(o.logDir, 'memory-samples.json'),
        JSON.stringify(Object.fromEntries(all.map((n) => [n.name, memory.get(n) ?? []]))),
      );
    if (chain.missingCount > 0) failures.push(`${chain.missingCount} acknowledged transfer(s) not committed`);
    if (chain.mismatches.length > 0) failures.push('nodes differ in block hash or state root');
    if (chain.duplicates > 0) failures.push(`${chain.duplicates} transfer(s) committed twice`);
    if (chain.sampleDisagreements.length > 0)
      failures.push('sampled transfers at different places on different nodes');
    if (deaths.length > 0) failures.push(`${deaths.length} process(es) died on their own`);
    if (notRejoined.length > 0)
      failures.push(`${notRejoined.length} fault(s) after which the validator did not vote again`);
    for (const p of participationAtEnd)
      if (!p.voting) failures.push(`validator-${p.validator} not voting at the end`);
    for (const [name, code] of Object.entries(stopExits))
      if (code !== 0) failures.push(`${name} stopped with ${code}`);
    const stallMsByNode = Object.fromEntries(all.map((n) => [n.name, stalls.get(n) ?? 0]));
    return {
      soak: 'chaos',
      ok: failures.length === 0,
      failures,
      seed: o.seed,
      minutes: o.minutes,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      load: loadFigures,
      settledHeight,
      chain,
      longestValidatorStallMs: Math.max(0, ...validators.map((n) => stalls.get(n) ?? 0)),
      longestObserverStallMs: stalls.get(observer) ?? 0,
      stallMsByNode,
      faults,
      rejoinByKind: rejoinByKind(faults),
      partitions: { available: network !== undefined, unavailableReason, ...partitions },
      notRejoined,
      participationAtEnd,
      deaths,
      stopExits,
      memory: memoryReport,
      dataDir: o.keepData ? cluster.net.dir : '',
    };
  } finally {
    for (const t of timers) clearInterval(t);
    await load.stop();
    await Promise.all(all.map((n) => n.stop()));
    for (const n of all) n.closeLog();
    // after the nodes: removing a namespace kills what still runs in it
    await network?.remove();
    if (!o.keepData) await rm(cluster.net.dir, { recursive: true, force: true });
  }
}
