/**
 * The explorer's pages over HTTP, rendered from the fake reader: content, links that carry
 * cursors, status codes, headers, and escaping of whatever a URL carries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromHex } from '../../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../../src/crypto/keys.js';
import { type PagesServer, startPagesServer } from '../../e2e/explorer/pages-server.js';
import {
  FAKE_ACCOUNTS,
  FAKE_UNTOUCHED_ADDRESS,
  FakeExplorerReader,
} from '../../support/fake-explorer-reader.js';

const GENESIS_MS = 1_700_000_000_000;
const reader = new FakeExplorerReader({ genesisMs: GENESIS_MS });
/** "Now" is 12 s after the head block (300 blocks, one a second). */
const NOW_MS = GENESIS_MS + 299_000 + 12_000;
let server: PagesServer;

before(async () => {
  server = await startPagesServer(reader, {
    nowMs: () => NOW_MS,
    pageLimit: 25,
    evidence: () => [
      {
        kind: 'vote',
        round: 77,
        validator: 3,
        name: 'dave',
        first: '0xf1',
        second: '0xf2',
        recordedAtMs: NOW_MS - 60_000,
      },
    ],
  });
});
after(async () => {
  assert.deepEqual(server.errors, [], 'no page failed unexpectedly');
  await server.close();
});

async function get(path: string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const checksum = (address: string) => toChecksumAddress(fromHex(address, 20));
/** Every `href` of the page's next-page link. */
const nextLink = (html: string) => /<a href="([^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const blockHeights = (html: string) =>
  [...html.matchAll(/<td data-label="Height"><a href="\/blocks\/(\d+)" class="strong">/g)].map((m) =>
    Number(m[1]),
  );

/** A page that answers an error: readable HTML, the status shown, no stack or path. */
function assertErrorPage(page: { status: number; html: string; headers: Headers }, status: number) {
  assert.equal(page.status, status);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.html, new RegExp(`<p class="error-status">${status}</p>`));
  assert.doesNotMatch(page.html, /at [\w.<>]+ \(|node_modules|\/work\/|\.tsx?:\d+/);
}

describe('explorer pages', () => {
  it('home shows the consensus state, latest blocks and transactions, and the charts, with the security headers', async () => {
    const { status, html, headers } = await get('/');
    assert.equal(status, 200);
    assert.equal(headers.get('x-content-type-options'), 'nosniff');
    const csp = headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /data-head-height="299">299</);
    assert.match(html, /<li class="feed-item" data-height="299">/);
    assert.match(html, /<li class="feed-item" data-height="290">/);
    assert.doesNotMatch(html, /data-height="289"/, 'ten latest blocks');
    // pending transactions first, then committed ones
    const pending = reader.pendingTxs()[0];
    assert.ok(html.includes(`data-tx="${pending.hash}"`));
    assert.ok(html.includes(`data-tx="${reader.committedTx(299, 0)!.hash}"`));
    assert.match(html, /12 s ago/);
    assert.match(html, /id="chart-txs" data-series="\{&quot;x&quot;:\[/);
    assert.match(html, /id="chart-block-time"/);
    assert.match(html, /<script type="module" src="\/assets\/explorer.js"><\/script>/);
    assert.doesNotMatch(
      html,
      /<script>|<script type="text\/javascript"|style="/,
      'no inline script or style',
    );
  });

  it('the blocks list pages with its cursor, never repeating or skipping, and jumps with ?before=', async () => {
    const first = await get('/blocks');
    assert.deepEqual(
      blockHeights(first.html),
      Array.from({ length: 25 }, (_, i) => 299 - i),
    );
    const next = nextLink(first.html);
    assert.ok(next?.startsWith('/blocks?cursor='), 'the next link carries the cursor');
    reader.addBlock(); // a commit between two requests neither repeats nor skips a block
    const second = await get(next!);
    assert.deepEqual(
      blockHeights(second.html),
      Array.from({ length: 25 }, (_, i) => 274 - i),
    );
    const jumped = await get('/blocks?before=50');
    assert.deepEqual(blockHeights(jumped.html).slice(0, 2), [49, 48]);
    assertErrorPage(await get('/blocks?cursor=bm9wZQ'), 400);
    assertErrorPage(await get('/blocks?before=-1'), 400);
    assertErrorPage(await get('/blocks?before=1&before=2'), 400);
  });

  it('a block shows its header, its QC as the row of validators, and its transactions by cursor', async () => {
    const detail = reader.block({ height: 100 })!;
    for (const path of ['/blocks/100', `/blocks/${detail.hash}`]) {
      const { status, html } = await get(path);
      assert.equal(status, 200, path);
      assert.ok(html.includes(detail.hash));
      assert.ok(html.includes(detail.stateRoot));
      assert.match(html, /Transactions \(230\)/);
      // the QC row: every validator, signed or "not in this QC", never "missed"
      for (const member of detail.qc!.members)
        assert.match(
          html,
          new RegExp(
            `${member.name}</span><span class="qc-state">${member.signed ? 'signed' : 'not in this QC'}<`,
          ),
        );
      assert.doesNotMatch(html, /missed/i);
    }
    const first = await get('/blocks/100');
    const next = nextLink(first.html);
    assert.ok(next?.startsWith('/blocks/100?cursor='));
    const second = await get(next!);
    assert.ok(
      second.html.includes(reader.committedTx(100, 25)!.hash),
      'the second page starts at the 26th transaction',
    );
    assert.ok(!second.html.includes(`/txs/${reader.committedTx(100, 24)!.hash}`));
    assertErrorPage(await get('/blocks/100000'), 404);
    assertErrorPage(await get(`/blocks/0x${'ab'.repeat(32)}`), 404);
  });

  it('a transaction is final with its block and QC once committed, pending while in the mempool', async () => {
    const committed = reader.committedTx(150, 1)!;
    const final = await get(`/txs/${committed.hash}`);
    assert.equal(final.status, 200);
    assert.match(
      final.html,
      /<span class="badge badge-final">Final<\/span> Committed in block <a href="\/blocks\/150">#150<\/a>/,
    );
    assert.match(final.html, /is certified by this quorum certificate/);
    assert.ok(final.html.includes(checksum(committed.from)));
    assert.ok(final.html.includes(checksum(committed.to)));
    // the fee in units, the exact wei on hover
    const fee = BigInt(committed.receipt.fee)
      .toString()
      .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    assert.ok(final.html.includes(`title="${fee} wei"`));
    const pending = reader.addPendingTx();
    const waiting = await get(`/txs/${pending.hash}`);
    assert.equal(waiting.status, 200);
    assert.match(waiting.html, /badge-pending">Pending</);
    assert.doesNotMatch(waiting.html, /badge-final/);
    // its script follows the blocks after the head it was rendered at, so none is missed
    assert.ok(waiting.html.includes(`data-watch-tx="${pending.hash}"`));
    assert.ok(waiting.html.includes(`data-watch-since="${reader.head().height}"`));
    assert.ok(!final.html.includes('data-watch-since'));
    assertErrorPage(await get(`/txs/0x${'cd'.repeat(32)}`), 404);
  });

  it('an account shows balance and nonce in EIP-55 and pages its history', async () => {
    const address = FAKE_ACCOUNTS[1];
    const view = reader.account(fromHex(address, 20));
    for (const path of [
      `/accounts/${address}`,
      `/accounts/${checksum(address)}`,
      `/accounts/${address.toUpperCase().replace('0X', '0x')}`,
    ]) {
      const { status, html } = await get(path);
      assert.equal(status, 200, path);
      assert.ok(html.includes(`<p class="mono break lead">${checksum(address)}</p>`));
      assert.ok(
        html.includes(
          `title="${BigInt(view.balance)
            .toString()
            .replace(/\B(?=(\d{3})+(?!\d))/g, ',')} wei"`,
        ),
      );
      assert.match(html, /badge-(in|out)/);
    }
    const first = await get(`/accounts/${address}`);
    const next = nextLink(first.html);
    assert.ok(next?.startsWith(`/accounts/${checksum(address)}?cursor=`));
    assert.equal((await get(next!)).status, 200);
    const untouched = await get(`/accounts/${FAKE_UNTOUCHED_ADDRESS}`);
    assert.equal(untouched.status, 200);
    assert.match(untouched.html, /never been credited or debited/);
    // mixed case with a wrong checksum: refused, as the API does
    const wrong = checksum(address).replace(/[a-f]/, (c) => c.toUpperCase());
    if (wrong !== checksum(address)) assertErrorPage(await get(`/accounts/${wrong}`), 400);
  });

  it('validators show uptime bars, proposals made and missed, QC share and evidence', async () => {
    const { status, html } = await get('/validators');
    assert.equal(status, 200);
    const view = reader.validators();
    for (const v of view.validators) assert.ok(html.includes(`${v.index}. ${v.name}`));
    assert.match(html, /<svg viewBox="0 0 100 8"[^>]*aria-label="99%"/);
    assert.match(html, /<span class="warn">1<\/span>/, "dave's missed proposal");
    assert.match(html, /<span class="badge badge-bad">1<\/span>/, "dave's evidence");
    assert.match(
      html,
      /Two votes<\/span> <strong>dave<\/strong> \(validator 3\) in round 77, recorded <time[^>]*>1 min ago/,
    );
  });

  it('search redirects to what it names, answers 404 for what it does not hold and 400 for garbage', async () => {
    const redirect = async (q: string) => {
      const res = await get(`/search?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 302, q);
      return res.headers.get('location');
    };
    const block = reader.block({ height: 42 })!;
    const tx = reader.committedTx(42, 0)!;
    assert.equal(await redirect('42'), '/blocks/42');
    assert.equal(await redirect(` ${block.hash} `), `/blocks/${block.hash}`);
    assert.equal(await redirect(block.hash.toUpperCase().replace('0X', '0x')), `/blocks/${block.hash}`);
    assert.equal(await redirect(tx.hash), `/txs/${tx.hash}`);
    assert.equal(await redirect(reader.pendingTxs()[0].hash), `/txs/${reader.pendingTxs()[0].hash}`);
    assert.equal(await redirect(FAKE_ACCOUNTS[2]), `/accounts/${checksum(FAKE_ACCOUNTS[2])}`);
    assertErrorPage(await get(`/search?q=0x${'ef'.repeat(32)}`), 404);
    assertErrorPage(await get('/search?q=99999999'), 404);
    for (const garbage of ['hello', '-1', '1e3', '0x12', '007', '', 'x'.repeat(5000)])
      assertErrorPage(await get(`/search?q=${encodeURIComponent(garbage)}`), 400);
    assertErrorPage(await get('/search'), 400);
    assertErrorPage(await get('/search?q=1&q=2'), 400);
  });

  it('a <script> in a search or a path is shown escaped, never as markup', async () => {
    const attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';
    const page = await get(`/search?q=${encodeURIComponent(attack)}`);
    assertErrorPage(page, 400);
    assert.ok(!page.html.includes('<script>alert'), 'no script element from the query');
    assert.ok(!page.html.includes('<img src=x'), 'no element from the query');
    assert.ok(page.html.includes('&lt;script>alert(1)&lt;/script>'), 'the search is shown back as text');
    assert.ok(
      page.html.includes('value="&lt;script>alert(1)&lt;/script>&quot;>&lt;img src=x onerror=alert(2)>"'),
      'kept in the box as text',
    );
    for (const path of [
      `/blocks/${encodeURIComponent(attack)}`,
      `/txs/${encodeURIComponent(attack)}`,
      `/accounts/${encodeURIComponent(attack)}`,
      '/blocks/%E0%A4%A',
      `/blocks/${'9'.repeat(400)}`,
      '/blocks/1.5',
      '/txs/0x1234',
    ]) {
      const res = await get(path);
      assertErrorPage(res, 400);
      assert.ok(!res.html.includes('<script>alert'), path);
    }
    assertErrorPage(await get(`/no/such/${encodeURIComponent(attack)}`), 404);
  });

  it('serves its CSS, its script and uPlot from node_modules, and nothing else from disk', async () => {
    const css = await get('/assets/explorer.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const script = await get('/assets/explorer.js');
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.match(script.html, /EventSource/);
    const uplot = await get('/assets/uplot/uPlot.esm.js');
    assert.equal(uplot.status, 200);
    assert.match(uplot.html, /export \{ uPlot as default \}|export default/);
    assert.equal((await get('/assets/uplot/uPlot.min.css')).status, 200);
    for (const path of [
      '/assets/uplot/package.json',
      '/assets/../router.tsx',
      '/assets/%2e%2e/router.tsx',
      '/assets/uplot/..%2fuPlot.d.ts',
    ])
      assert.notEqual((await get(path)).status, 200, path);
    // the API's own paths are not the pages' to answer
    assert.doesNotMatch((await get('/api/v1/nothing')).html, /error-status/);
  });
});
