/**
 * Serves the explorer's pages over a FakeExplorerReader on a port from the OS, for the
 * page tests (unit) and the browser test (e2e). `nodeStatus` is the home page's consensus
 * state, derived from the fake's head.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ExplorerReader, NodeStatus } from '../../../explorer/server/index.js';
import { createExplorerPages, type ExplorerPagesOptions } from '../../../explorer/web/index.js';
import { FAKE_VALIDATORS } from '../../support/fake-explorer-reader.js';

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

export interface PagesServer {
  url: string;
  /** Errors the pages reported as unexpected (a test expects none). */
  errors: unknown[];
  close(): Promise<void>;
}

export async function startPagesServer(
  reader: ExplorerReader,
  options: Partial<ExplorerPagesOptions> = {},
): Promise<PagesServer> {
  const errors: unknown[] = [];
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    createExplorerPages(reader, {
      status: () => fakeNodeStatus(reader),
      onError: (e) => errors.push(e),
      ...options,
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
