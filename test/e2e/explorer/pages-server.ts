/**
 * Serves the explorer (the API with its event stream, and the pages) over any
 * ExplorerReader (the FakeExplorerReader, or the real StoreExplorerReader over a prepared
 * store) on a port from the OS, as a node serves it: createApiServer with the pages mounted.
 * For the page tests (unit) and the browser test (e2e).
 */
import type { AddressInfo } from 'node:net';
import {
  createApiServer,
  type ExplorerReader,
  type NodeApi,
  type NodeStatus,
  type ValidatorActivity,
} from '../../../explorer/server/index.js';
import { createExplorerPages, type ExplorerPagesOptions } from '../../../explorer/web/index.js';

/**
 * The home page's consensus state, derived from the reader's head: this node is validator
 * 0, in the round after the head block's, led by the validator that round rotates to.
 * `validators` are the reader's (read once: the set does not change).
 */
export function nodeStatusOf(
  reader: ExplorerReader,
  validators: ValidatorActivity[] = reader.validators().validators,
): NodeStatus {
  const head = reader.head();
  const block = reader.block({ height: head.height });
  const round = (block?.round ?? 0) + 1;
  const leader = validators.length > 0 ? validators[round % validators.length] : undefined;
  return {
    chainId: block?.chainId ?? '0',
    height: head.height,
    headHash: head.hash,
    round,
    leader: leader ? { index: leader.index, name: leader.name, address: leader.address } : null,
    syncing: false,
    peers: Math.max(0, validators.length - 1),
    mempoolSize: 0,
    role: 'validator',
    validator: 0,
    peerId: validators[0]?.peerId ?? '',
  };
}

/** A NodeApi over the reader: reads only, every submission refused. */
function readOnlyNodeApi(reader: ExplorerReader, status: () => NodeStatus): NodeApi {
  return {
    explorer: reader,
    status,
    metrics: () => ({ mempool: {}, network: null, consensus: null }),
    peers: () => [],
    evidence: () => [],
    transactionStatus: (hash) => {
      const tx = reader.tx(hash);
      if (tx.status === 'committed')
        return { hash: tx.hash, status: 'committed', height: tx.height, index: tx.index };
      if (tx.status === 'pending')
        return { hash: tx.hash, status: 'pending', ...(tx.queued ? { queued: true } : {}) };
      return { hash: tx.hash, status: 'unknown' };
    },
    submitTransactions: async (raws) =>
      raws.map(() => ({
        error: 'READ_ONLY',
        message: 'this test node takes no transactions',
        kind: 'capacity' as const,
      })),
  };
}

export interface PagesServer {
  url: string;
  /** Errors the server reported as unexpected (a test expects none). */
  errors: unknown[];
  close(): Promise<void>;
}

/**
 * Serves `reader`; `options.status` replaces the NodeStatus derived from the reader's head
 * (nodeStatusOf) for the pages and GET /api/v1/status alike.
 */
export async function startPagesServer(
  reader: ExplorerReader,
  options: Partial<ExplorerPagesOptions> = {},
): Promise<PagesServer> {
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  const validators = reader.validators().validators;
  const status = options.status ?? (() => nodeStatusOf(reader, validators));
  const pages = createExplorerPages(reader, { onError, ...options, status });
  const server = createApiServer(readOnlyNodeApi(reader, status), { pages, onError });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
