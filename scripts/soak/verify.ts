/**
 * The soak's end checks, all through each node's HTTP API: every acknowledged transfer
 * committed, every node's chain the same block (hash and state root) at every height, and
 * a sample of transfers at the same height and index on every node. The block hash binds
 * the header's txRoot (an ordered Merkle root), so equal hashes at a height mean the same
 * transactions in the same order; the reference node's blocks give each transfer's place.
 */
import { getJson, waitUntil } from '../../test/e2e/helpers.js';
import type { Prng } from '../../test/sim/prng.js';
import type { SoakNode } from './cluster.js';
import type { WalletLoad } from './load.js';

/** Concurrent API requests of the checks, per node. */
const CONCURRENCY = 8;
const PAGE = 100;

export interface ChainFigures {
  /** Every node reached it; the chains are compared up to it. */
  comparedHeight: number;
  /** Heights whose block hash or state root differs between nodes (the first ten). */
  mismatches: Array<{
    height: number;
    node: string;
    field: 'hash' | 'stateRoot';
    reference: string;
    found: string;
  }>;
  /** Acknowledged transfers not in the reference node's chain (the first ten, and how many). */
  missing: string[];
  missingCount: number;
  /** Transfers found at more than one place. */
  duplicates: number;
  committedTxs: number;
  /** Sampled transfers looked up on every node: how many, and those at another height or index. */
  sampled: number;
  sampleDisagreements: string[];
}

async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function height(node: SoakNode): Promise<number | undefined> {
  try {
    const { status, body } = await getJson(`${node.apiUrl}/api/v1/status`);
    return status === 200 ? body.height : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until `reference` shows every sender's acknowledged nonces committed, then until
 * every node reaches the reference's height; the height, or a failure naming what lagged.
 */
export async function settle(
  reference: SoakNode,
  nodes: readonly SoakNode[],
  load: WalletLoad,
  timeoutMs: number,
): Promise<number> {
  const open = new Map(load.acknowledgedNonces);
  const senders = open.size;
  await waitUntil(
    `${senders} sender(s) to have their acknowledged transfers committed on ${reference.name}`,
    async () => {
      await pool([...open.keys()], async (address) => {
        try {
          const { status, body } = await getJson<{ nonce?: string }>(
            `${reference.apiUrl}/api/v1/accounts/${address}`,
          );
          if (status === 200 && body.nonce !== undefined && BigInt(body.nonce) >= open.get(address)!)
            open.delete(address);
        } catch {
          // asked again on the next poll
        }
      });
      return open.size === 0 ? true : undefined;
    },
    timeoutMs,
    1000,
  ).catch(async (err: Error) => {
    throw new Error(
      `${err.message}: ${open.size} still open\n${await stuckSenders(reference, open, nodes, load)}`,
    );
  });
  const target = (await height(reference)) ?? 0;
  for (const node of nodes)
    await waitUntil(
      `${node.name} to reach height ${target}`,
      async () => (((await height(node)) ?? -1) >= target ? true : undefined),
      timeoutMs,
      500,
    );
  return target;
}

/**
 * For a few senders still open: the nonce each node has committed, and the first open
 * transfer (the one every later nonce waits for): which node acknowledged it, and its
 * status on each node (pending, queued behind a gap, committed or unknown).
 */
async function stuckSenders(
  reference: SoakNode,
  open: ReadonlyMap<string, bigint>,
  nodes: readonly SoakNode[],
  load: WalletLoad,
): Promise<string> {
  const ask = async <T>(node: SoakNode, path: string): Promise<T | undefined> => {
    try {
      const { status, body } = await getJson<T>(`${node.apiUrl}/api/v1${path}`);
      return status === 200 ? body : undefined;
    } catch {
      return undefined;
    }
  };
  const lines: string[] = [];
  for (const [address, acknowledged] of [...open].slice(0, 5)) {
    const nonces = await Promise.all(
      nodes.map(
        async (node) =>
          `${node.name} ${(await ask<{ nonce?: string }>(node, `/accounts/${address}`))?.nonce ?? '?'}`,
      ),
    );
    lines.push(
      `  ${address}: acknowledged up to nonce ${acknowledged - 1n}; committed nonce per node: ${nonces.join(', ')}`,
    );
    const committed = (await ask<{ nonce?: string }>(reference, `/accounts/${address}`))?.nonce;
    const first = committed === undefined ? undefined : load.acknowledgement(address, BigInt(committed));
    if (!first) {
      lines.push(`    nonce ${committed ?? '?'} was never acknowledged`);
      continue;
    }
    const statuses = await Promise.all(
      nodes.map(async (node) => {
        const s = await ask<{ status?: string; queued?: boolean }>(node, `/txs/${first.hash}`);
        return `${node.name} ${s?.status ?? '?'}${s?.queued ? ' (queued)' : ''}`;
      }),
    );
    lines.push(
      `    nonce ${committed} (${first.hash}) acknowledged by ${first.node}; status per node: ${statuses.join(', ')}`,
    );
  }
  return lines.join('\n');
}

interface BlockBody {
  hash: string;
  stateRoot: string;
  txCount: number;
  txs: { items: Array<{ hash: string }>; next: string | null };
}

async function blockOf(node: SoakNode, h: number): Promise<BlockBody> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { status, body } = await getJson<BlockBody>(`${node.apiUrl}/api/v1/blocks/${h}?limit=${PAGE}`);
      if (status !== 200) throw new Error(`GET /blocks/${h} answered ${status}`);
      return body;
    } catch (err) {
      if (attempt >= 3) throw new Error(`${node.name}: block ${h}: ${(err as Error).message}`);
    }
  }
}

export async function checkChains(
  reference: SoakNode,
  nodes: readonly SoakNode[],
  load: WalletLoad,
  upTo: number,
  prng: Prng,
): Promise<ChainFigures> {
  const heights = Array.from({ length: upTo }, (_, i) => i + 1);
  const hashes: string[] = [];
  const roots: string[] = [];
  const place = new Map<string, string>();
  let duplicates = 0;
  await pool(heights, async (h) => {
    const block = await blockOf(reference, h);
    hashes[h] = block.hash;
    roots[h] = block.stateRoot;
    const items = [...block.txs.items];
    let next = block.txs.next;
    while (next !== null) {
      const { body } = await getJson<BlockBody['txs']>(
        `${reference.apiUrl}/api/v1/blocks/${h}/txs?limit=${PAGE}&cursor=${encodeURIComponent(next)}`,
      );
      items.push(...body.items);
      next = body.next;
    }
    for (const [i, tx] of items.entries()) {
      if (place.has(tx.hash)) duplicates++;
      place.set(tx.hash, `${h}:${i}`);
    }
  });
  const mismatches: ChainFigures['mismatches'] = [];
  for (const node of nodes) {
    if (node === reference) continue;
    await pool(heights, async (h) => {
      const block = await blockOf(node, h);
      if (mismatches.length >= 10) return;
      if (block.hash !== hashes[h])
        mismatches.push({
          height: h,
          node: node.name,
          field: 'hash',
          reference: hashes[h],
          found: block.hash,
        });
      if (block.stateRoot !== roots[h])
        mismatches.push({
          height: h,
          node: node.name,
          field: 'stateRoot',
          reference: roots[h],
          found: block.stateRoot,
        });
    });
  }
  const missing = load.acknowledged.filter((hash) => !place.has(hash));
  // a seeded sample asked of every node by hash: the same place everywhere
  const sample = Array.from({ length: Math.min(50, load.acknowledged.length) }, () =>
    prng.pick(load.acknowledged),
  ).filter((hash) => place.has(hash));
  const sampleDisagreements: string[] = [];
  for (const node of nodes)
    await pool(sample, async (hash) => {
      const { body } = await getJson<{ status?: string; height?: number; index?: number }>(
        `${node.apiUrl}/api/v1/txs/${hash}`,
      );
      const at = body.status === 'committed' ? `${body.height}:${body.index}` : String(body.status);
      if (at !== place.get(hash))
        sampleDisagreements.push(`${node.name} ${hash}: ${at}, reference ${place.get(hash)}`);
    });
  return {
    comparedHeight: upTo,
    mismatches,
    missing: missing.slice(0, 10),
    missingCount: missing.length,
    duplicates,
    committedTxs: place.size,
    sampled: sample.length,
    sampleDisagreements: sampleDisagreements.slice(0, 10),
  };
}
