/**
 * Serves the explorer (the API with its event stream, and the pages) over a
 * FakeExplorerReader on a port from the OS, as a node serves it: createApiServer with the
 * pages mounted. For the page tests (unit) and the browser test (e2e).
 */
import type { AddressInfo } from 'node:net';
import {
  createApiServer,
  type ExplorerReader,
  type NodeApi,
  type NodeStatus,
} from '../../../explorer/server/index.js';
import { createExplorerPages, type ExplorerPagesOptions } from '../../../explorer/web/index.js';
import { FAKE_VALIDATORS } from '../../support/fake-explorer-reader.js';

/** The home page's consensus state, derived from the fake's head. */
export function fakeNodeStatus(reader: ExplorerReader): NodeStatus {
  const head = reader.head();
  const leader = FAKE_VALIDATORS[(head.height + 1) % FAKE_VALIDATORS.length];
  return {
    chainId: '7',
    height: head.height,
    headHash: head.hash,
    round: head.height + Math.floor(head.height / 7) + 1,
    leader,
    syncing: false,
    peers: 3,
    mempoolSize: 0,
    role: 'validator',
    validator: 0,
    peerId: '12D3KooWFakealice',
  };
}

/** A NodeApi over the fake reader: reads only, every submission refused. */
function fakeNodeApi(reader: ExplorerReader): NodeApi {
  return {
    explorer: reader,
    status: () => fakeNodeStatus(reader),
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

export async function startPagesServer(
  reader: ExplorerReader,
  options: Partial<ExplorerPagesOptions> = {},
): Promise<PagesServer> {
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  const pages = createExplorerPages(reader, { status: () => fakeNodeStatus(reader), onError, ...options });
  const server = createApiServer(fakeNodeApi(reader), { pages, onError });
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
