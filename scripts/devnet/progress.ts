/**
 * The terminal's view of the devnet: one line every few seconds with the highest committed
 * height, blocks and transactions per second since the previous line, and each
 * validator's peer count, read from the nodes' own API (GET /api/v1/status and /stats).
 * Each request has a deadline, so a node that hangs costs one line a missed answer, not a
 * stalled view.
 */
import { STATUS_TIMEOUT_MS } from './options.js';

interface StatusBody {
  height: number;
  round: number;
  peers: number;
  syncing: boolean;
}

export interface NodeView {
  name: string;
  apiUrl: string;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function asStatus(body: unknown): StatusBody | undefined {
  const b = body as Partial<StatusBody> | null;
  if (typeof b?.height !== 'number' || typeof b.peers !== 'number') return undefined;
  return { height: b.height, round: Number(b.round ?? 0), peers: b.peers, syncing: b.syncing === true };
}

/** The status of a node, or undefined when it does not answer in time. */
export async function fetchStatus(apiUrl: string): Promise<StatusBody | undefined> {
  try {
    return asStatus(await getJson(`${apiUrl}/api/v1/status`));
  } catch {
    return undefined;
  }
}

async function fetchTotalTxs(apiUrl: string): Promise<number | undefined> {
  try {
    const body = (await getJson(`${apiUrl}/api/v1/stats`)) as { totalTxs?: unknown } | null;
    return typeof body?.totalTxs === 'number' ? body.totalTxs : undefined;
  } catch {
    return undefined;
  }
}

interface Sample {
  atMs: number;
  height: number;
  /** Whose totals these are: rates compare one node's figures with its own. */
  source: string;
  totalTxs: number;
}

export class ProgressMonitor {
  private previous: Sample | undefined;

  constructor(private readonly nodes: readonly NodeView[]) {}

  /** One progress line, as of `nowMs` (the caller reads the clock). */
  async line(nowMs: number, notes: ReadonlyMap<number, string>): Promise<{ text: string; height?: number }> {
    const statuses = await Promise.all(this.nodes.map((n) => fetchStatus(n.apiUrl)));
    // The highest height any node has; the rates from one node's own figures (the first
    // that answers), as nodes a block apart would make them jump.
    const heights = statuses.flatMap((st) => (st === undefined ? [] : [st.height]));
    const sourceIndex = statuses.findIndex((st) => st !== undefined);
    const peers = this.nodes
      .map((n, i) => {
        const s = statuses[i];
        // A node that answers is shown as it is; the note says why one does not (starting...).
        const state = s === undefined ? (notes.get(i) ?? 'down') : `${s.peers}${s.syncing ? ' syncing' : ''}`;
        return `${n.name}:${state}`;
      })
      .join(' ');
    const clock = new Date(nowMs).toTimeString().slice(0, 8);
    if (sourceIndex < 0) return { text: `${clock}  no validator answers yet   peers ${peers}` };
    const status = statuses[sourceIndex] as StatusBody;
    const height = Math.max(...heights);
    const source = this.nodes[sourceIndex].apiUrl;
    const totalTxs = await fetchTotalTxs(source);
    let rates = '';
    const previous = this.previous;
    if (totalTxs !== undefined) {
      if (previous !== undefined && previous.source === source && nowMs > previous.atMs) {
        const seconds = (nowMs - previous.atMs) / 1000;
        const blocksPerSecond = (status.height - previous.height) / seconds;
        const txPerSecond = (totalTxs - previous.totalTxs) / seconds;
        rates = `  ${blocksPerSecond.toFixed(1)} blocks/s  ${txPerSecond.toFixed(1)} tx/s`;
      }
      this.previous = { atMs: nowMs, height: status.height, source, totalTxs };
    }
    return {
      text: `${clock}  height ${height}  round ${status.round}${rates}   peers ${peers}`,
      height,
    };
  }
}
