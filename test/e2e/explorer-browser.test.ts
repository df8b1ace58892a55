/**
 * The explorer in a real browser (Debian's chromium through playwright-core) against a
 * prepared store (a real lmdb ledger store, mempool and StoreExplorerReader, from
 * test/support/explorer-store.ts) served as a node serves it (API, event stream and pages),
 * with blocks committed and transactions admitted while the browser watches: a block arriving
 * live on the home page, following a block, a transaction and an account, searching for
 * each kind and for garbage, a <script> search shown and not run, a phone's width without
 * horizontal scrolling. Screenshots of each page go to test-output/explorer (git-ignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { CommittedTx } from '../../explorer/server/index.js';
import { DEFAULT_EXPLORER_PAGES_OPTIONS } from '../../explorer/web/index.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../src/crypto/keys.js';
import { createExplorerStore, type ExplorerStore } from '../support/explorer-store.js';
import { type PagesServer, startPagesServer } from './explorer/pages-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/explorer/', import.meta.url));
const WAIT_MS = 5000;
const PHONE = { width: 390, height: 844 };

/** Committed blocks of the prepared store before the big block (more than a home list). */
const BLOCKS = 30;
/** Rows of a block's transactions per page, and the big block's transactions: two pages. */
const PAGE_LIMIT = DEFAULT_EXPLORER_PAGES_OPTIONS.pageLimit;
const BIG_BLOCK_TXS = 40;

let explorer: ExplorerStore;
/** Height of the block with BIG_BLOCK_TXS transactions, committed after the BLOCKS. */
let bigHeight: number;
let server: PagesServer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
/** Console errors (a CSP refusal is one) and uncaught page errors: a test expects none. */
const browserErrors: string[] = [];
const dialogs: string[] = [];

const checksum = (address: string) => toChecksumAddress(fromHex(address, 20));

/** The `index`th transaction of the committed block at `height`, as the reader shows it. */
function committedTx(height: number, index: number): CommittedTx {
  const hash = explorer.txHashes[height]?.[index];
  assert.ok(hash, `block ${height} has a transaction ${index}`);
  const tx = explorer.reader.tx(hash);
  assert.equal(tx.status, 'committed', `transaction ${index} of block ${height}`);
  return tx as CommittedTx;
}

/** Admits a transfer from account 1 to account 2 to the mempool: its hash and sender. */
function addPending(): { hash: string; from: string } {
  const tx = explorer.addPending(1, explorer.addresses[2], 5n);
  return { hash: toHex(tx.hash), from: toHex(explorer.addresses[1]) };
}

async function waitFor(selector: string, what: string): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: WAIT_MS });
  } catch {
    assert.fail(`${what}: ${selector} did not appear within ${WAIT_MS} ms on ${page.url()}`);
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Types `text` into the header's search box and waits for the page it leads to. */
async function search(text: string): Promise<void> {
  await page.fill('form.search input[name=q]', text);
  const loaded = page.waitForEvent('load', { timeout: WAIT_MS });
  await page.press('form.search input[name=q]', 'Enter');
  await loaded;
}

before(async () => {
  if (!existsSync(CHROMIUM))
    assert.fail(
      `chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
    );
  mkdirSync(SCREENSHOTS, { recursive: true });
  explorer = await createExplorerStore({ blocks: BLOCKS });
  assert.ok(BIG_BLOCK_TXS > PAGE_LIMIT, 'the big block takes two pages');
  bigHeight = (await explorer.commitBlock(BIG_BLOCK_TXS)).height;
  // a few ordinary blocks after it, so it is not the head
  for (let i = 0; i < 3; i++) await explorer.commitBlock();
  server = await startPagesServer(explorer.reader);
  userDataDir = await mkdtemp(path.join(tmpdir(), 'explorer-browser-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  // an error page's own status is logged as a failed load: only subresources count here
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      browserErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document')
      browserErrors.push(`${response.url()}: ${response.status()}`);
  });
  page.on('pageerror', (err) => browserErrors.push(`${page.url()}: ${err.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  await explorer?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe('the explorer in a browser', () => {
  it('the home page shows a new block and a pending transaction as they arrive', async () => {
    await page.goto(`${server.url}/`);
    await waitFor('body[data-stream="open"]', 'the live stream opens');
    await waitFor('.chart.drawn#chart-txs', 'uPlot draws the tx/s chart');
    await waitFor('.chart.drawn#chart-block-time', 'uPlot draws the block-time chart');
    const pending = addPending();
    await waitFor(
      `#latest-txs li[data-tx="${pending.hash}"] .badge-pending`,
      'the pending transaction appears',
    );
    const block = await explorer.commitBlock(2);
    await waitFor(`#latest-blocks li[data-height="${block.height}"]`, 'the new block appears');
    assert.equal(
      await page.textContent('[data-head-height]'),
      String(block.height),
      'the head height follows',
    );
    // the pending row became the committed one
    await waitFor(
      `#latest-txs li[data-tx="${pending.hash}"] .badge-final`,
      'the pending transaction turns final',
    );
    assert.equal(await page.locator(`#latest-txs li[data-tx="${pending.hash}"]`).count(), 1);
    // a live row reads like a server-rendered one: EIP-55 addresses, amounts with their wei
    const fromLink = page.locator(`#latest-txs li[data-tx="${pending.hash}"] a.addr`).first();
    assert.equal(await fromLink.getAttribute('title'), checksum(pending.from));
    assert.equal(await page.locator('#latest-blocks li').count(), 10, 'the list keeps its length');
    await screenshot('home');
  });

  it('follows a block, one of its transactions and an account', async () => {
    const height = explorer.reader.head().height;
    await page.click(`#latest-blocks li[data-height="${height}"] a`);
    await page.waitForURL(`${server.url}/blocks/${height}`);
    assert.match((await page.textContent('h1')) ?? '', new RegExp(`#${height}`));
    assert.ok(
      (await page.locator('.qc-member.signed').count()) >= 3 ||
        (await page.textContent('main'))?.includes('certificate'),
    );
    await screenshot('block');

    const tx = committedTx(height, 0);
    await page.click(`a[href="/txs/${tx.hash}"]`);
    await page.waitForURL(`${server.url}/txs/${tx.hash}`);
    assert.match(
      (await page.textContent('.banner')) ?? '',
      new RegExp(`Final\\s*Committed in block\\s*#${height}`),
    );
    await screenshot('tx');

    await page.click(`main a[href="/accounts/${checksum(tx.from)}"]`);
    await page.waitForURL(`${server.url}/accounts/${checksum(tx.from)}`);
    assert.equal(await page.textContent('p.lead'), checksum(tx.from));
    assert.ok((await page.locator('main table tbody tr').count()) > 0, 'the history lists transactions');
    await screenshot('account');

    await page.goto(`${server.url}/blocks/${bigHeight}`);
    assert.equal(
      await page.locator(`a[href="/txs/${committedTx(bigHeight, PAGE_LIMIT).hash}"]`).count(),
      0,
      'the first page of the big block stops at its page limit',
    );
    await page.click('a[rel=next]');
    await page.waitForURL(new RegExp(`/blocks/${bigHeight}\\?cursor=`));
    assert.ok(
      await page.locator(`a[href="/txs/${committedTx(bigHeight, PAGE_LIMIT).hash}"]`).count(),
      'the next page of the big block',
    );
    assert.ok(
      await page.locator(`a[href="/txs/${committedTx(bigHeight, BIG_BLOCK_TXS - 1).hash}"]`).count(),
      "the next page holds the big block's last transaction",
    );

    await page.goto(`${server.url}/blocks`);
    await screenshot('blocks');
    await page.goto(`${server.url}/validators`);
    await screenshot('validators');
    const pending = addPending();
    await page.goto(`${server.url}/txs/${pending.hash}`);
    assert.match((await page.textContent('.banner')) ?? '', /Pending/);
    await screenshot('tx-pending');
    // the page follows the stream and shows the transaction final once a block commits it
    await waitFor('body[data-stream="open"]', "the pending transaction's page opens the live stream");
    const block = await explorer.commitBlock();
    await waitFor('.banner-final', 'the pending transaction turns final on its page');
    assert.match(
      (await page.textContent('.banner')) ?? '',
      new RegExp(`Committed in block\\s*#${block.height}`),
    );

    // committed after the page rendered but before its script opened the stream: the
    // stream starts from the height the page was rendered at, so the block is not missed
    const raced = addPending();
    let racedCommit: Promise<{ height: number }> | undefined;
    await page.route('**/assets/explorer.js', async (route) => {
      // the script is held back until the block is durable and its listeners have run
      racedCommit ??= explorer.commitBlock();
      await racedCommit;
      await route.continue();
    });
    try {
      await page.goto(`${server.url}/txs/${raced.hash}`);
      await waitFor('.banner-final', 'a transaction committed before the page subscribed turns final');
    } finally {
      await page.unroute('**/assets/explorer.js');
    }
    assert.ok(racedCommit, 'explorer.js was requested');
    const racedBlock = (await racedCommit).height;
    assert.match(
      (await page.textContent('.banner')) ?? '',
      new RegExp(`Committed in block\\s*#${racedBlock}`),
    );
  });

  it('searches for a height, a block hash, a transaction hash and an address, and refuses garbage', async () => {
    await page.goto(`${server.url}/blocks`);
    const height = 20;
    const block = explorer.reader.block({ height });
    assert.ok(block, `block ${height} is committed`);
    const tx = committedTx(height, 0);
    const cases: Array<[string, string]> = [
      [String(height), `/blocks/${height}`],
      [block.hash, `/blocks/${block.hash}`],
      [tx.hash, `/txs/${tx.hash}`],
      [tx.to, `/accounts/${checksum(tx.to)}`],
    ];
    for (const [text, target] of cases) {
      await search(text);
      assert.equal(new URL(page.url()).pathname, target, text);
    }
    await search('not a thing');
    assert.equal(await page.textContent('.error-status'), '400');
    await search(`0x${'ee'.repeat(32)}`);
    assert.equal(await page.textContent('.error-status'), '404');
    await screenshot('not-found');
  });

  it('a <script> in a search is shown as text and never runs', async () => {
    const attack = '<script>window.__xss=1;alert(1)</script><img src=x onerror="window.__xss=2">';
    await search(attack);
    assert.equal(await page.textContent('.error-status'), '400');
    assert.equal(await page.textContent('q.searched'), attack);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('main script, main img').count(), 0);
    assert.deepEqual(dialogs, [], 'no dialog opened');
    await screenshot('search-script');
  });

  it('fits a 390 px wide phone without horizontal scrolling', async () => {
    await page.setViewportSize(PHONE);
    const tx = committedTx(BLOCKS - 5, 0);
    const pages: Array<[string, string]> = [
      ['home', '/'],
      ['blocks', '/blocks'],
      ['block', `/blocks/${bigHeight}`],
      ['tx', `/txs/${tx.hash}`],
      ['account', `/accounts/${tx.from}`],
      ['validators', '/validators'],
    ];
    for (const [name, pathname] of pages) {
      await page.goto(`${server.url}${pathname}`);
      const [scrollWidth, clientWidth] = await page.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
      ]);
      assert.ok(
        scrollWidth <= clientWidth,
        `${name}: the page is ${scrollWidth} px wide in a ${clientWidth} px window`,
      );
      await screenshot(`phone-${name}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('loads nothing the Content-Security-Policy refuses and throws no error', () => {
    assert.deepEqual(browserErrors, []);
    assert.deepEqual(server.errors, []);
  });
});
