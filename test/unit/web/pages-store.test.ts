/**
 * The pages over the real ExplorerReader (src/node/explorer-reader.ts) on a prepared store:
 * every page renders what the store holds, with no unexpected error, so the pages do not
 * lean on anything only the fake reader does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../../src/crypto/keys.js';
import { type PagesServer, startPagesServer } from '../../e2e/explorer/pages-server.js';
import { createExplorerStore, type ExplorerStore } from '../../support/explorer-store.js';

let explorer: ExplorerStore;
let server: PagesServer;

before(async () => {
  explorer = await createExplorerStore({ blocks: 30 });
  server = await startPagesServer(explorer.reader, { pageLimit: 10 });
});
after(async () => {
  await server?.close();
  await explorer?.close();
});

async function get(path: string): Promise<{ status: number; html: string; location: string | null }> {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

describe('explorer pages over the store', () => {
  it('renders every page from the real reader', async () => {
    const head = explorer.reader.head().height;
    const block = explorer.reader.block({ height: head - 1 })!;
    const txHash = toHex(explorer.txHashes[head - 1][0]);
    const address = toChecksumAddress(explorer.addresses[0]);
    const pending = explorer.addPending(1, explorer.addresses[2], 5n);
    const pages: Array<[string, RegExp]> = [
      ['/', new RegExp(`data-head-height="${head}"`)],
      ['/blocks', /rel="next"/],
      [`/blocks/${head - 1}`, /<span class="qc-state">signed<\/span>/],
      [`/blocks/${block.hash}`, new RegExp(block.stateRoot)],
      [`/txs/${txHash}`, /badge-final">Final</],
      [`/txs/${toHex(pending.hash)}`, /badge-pending">Pending</],
      [`/accounts/${address}`, new RegExp(`<p class="mono break lead">${address}</p>`)],
      ['/validators', /QC share/],
    ];
    for (const [path, expected] of pages) {
      const page = await get(path);
      assert.equal(page.status, 200, path);
      assert.match(page.html, expected, path);
    }
    assert.doesNotMatch((await get(`/blocks/${head - 1}`)).html, /missed/i);
    const next = /<a href="([^"]+)" rel="next">/.exec((await get(`/accounts/${address}`)).html)?.[1];
    assert.ok(next, 'the history has a next page');
    assert.equal((await get(next.replaceAll('&amp;', '&'))).status, 200);
    assert.equal((await get(`/search?q=${txHash}`)).location, `/txs/${txHash}`);
    assert.equal((await get(`/search?q=${block.hash}`)).location, `/blocks/${block.hash}`);
    assert.equal((await get('/blocks?cursor=AAAA')).status, 400, "a cursor the store's reader refuses");
    assert.deepEqual(server.errors, []);
  });
});
