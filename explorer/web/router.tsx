/**
 * The explorer's web pages as an Express router: server-rendered HTML over the
 * ExplorerReader, working without JavaScript; public/explorer.js adds live updates and
 * charts. Every path parameter and query value passes params.ts first; every failure is a
 * readable HTML page (400 / 404 / 500), never a stack trace.
 *
 *   GET /                        home: consensus state, charts, latest blocks and transactions
 *   GET /blocks[?cursor|before]  blocks, newest first, keyset-paginated
 *   GET /blocks/:heightOrHash    one block, its QC and its transactions (?cursor=)
 *   GET /txs/:hash               one transaction, final or pending
 *   GET /accounts/:address       balance, nonce, history (?cursor=)
 *   GET /validators              activity over a recent window, evidence
 *   GET /search?q=               302 to what q names; 404 page if nothing, 400 page if garbage
 *   GET /assets/...              the CSS, the browser script and uPlot (from node_modules)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { toHex } from '../../src/crypto/bytes.js';
import {
  type BlockDetail,
  type CommittedTx,
  CursorError,
  type ExplorerReader,
  type PendingTx,
} from '../server/index.js';
import type { RenderContext } from './components.js';
import { checksummed } from './format.js';
import { type ExplorerPagesOptions, explorerPagesOptions } from './options.js';
import { fillTemplate, PageCache, SlotRecorder, toTemplate } from './page-cache.js';
import { ACCOUNT_LIVE, AccountOverview, AccountPage } from './pages/account.js';
import { BlockPage, BlocksPage } from './pages/blocks.js';
import { ErrorPage } from './pages/error.js';
import { HomePage } from './pages/home.js';
import { TxPage } from './pages/tx.js';
import { ValidatorsPage } from './pages/validators.js';
import {
  badInput,
  MAX_SEARCH_CHARS,
  notFound,
  PageError,
  parseAccountAddress,
  parseBefore,
  parseBlockId,
  parseCursor,
  parseSearch,
  parseTxHash,
} from './params.js';

/**
 * Only this origin's scripts and styles, no inline script or style attribute, no framing;
 * connect-src covers the live stream (EventSource) on the same origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
/** uPlot's browser build and stylesheet, from node_modules (never a CDN: pages work offline). */
const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
const UPLOT_FILES: Record<string, string> = {
  'uPlot.esm.js': path.join(UPLOT_DIR, 'uPlot.esm.js'),
  'uPlot.min.css': path.join(UPLOT_DIR, 'uPlot.min.css'),
};

export type { ExplorerPagesOptions };

/** A live part of a cached page: `key` names everything its rendering shows. */
interface LivePart {
  key: string;
  render: (ctx: RenderContext) => VNode;
}

export function createExplorerPages(
  reader: ExplorerReader,
  pageOptions: Partial<ExplorerPagesOptions> & Pick<ExplorerPagesOptions, 'status'>,
): express.Router {
  const options = explorerPagesOptions(pageOptions);
  const router = express.Router();
  const context = (): RenderContext => ({
    symbol: options.currencySymbol,
    nowMs: options.nowMs(),
    chainId: options.status().chainId,
  });
  const send = (res: Response, body: string, status: number) => {
    // not res.send: its ETag hashes every page and copies it first, yet a page shows
    // relative times and the live head, so a revalidation would almost never match
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    // a string, not a Buffer: a fresh buffer per page is an allocation outside the heap (fillTemplate)
    res.end(body);
  };
  const render = (res: Response, page: VNode, status = 200) => {
    send(res, `<!doctype html>${renderToString(page)}`, status);
  };
  const cache = new PageCache(options.pageCacheEntries, options.pageCacheBytes);
  /**
   * Live parts as rendered, by the data they show (a busy account's changes about once a
   * block): templates without slots.
   */
  const liveParts = new PageCache(options.pageCacheEntries, Math.ceil(options.pageCacheBytes / 16));
  const livePart = (name: string, part: LivePart, ctx: RenderContext): Buffer => {
    const key = `${name} ${part.key}`;
    const known = liveParts.get(key);
    if (known) return known.chunks[0];
    const html = Buffer.from(renderToString(part.render(ctx)));
    liveParts.set(key, { chunks: [html], slots: [], bytes: html.length });
    return html;
  };
  /**
   * A page that is the same for every request apart from its relative times and its live
   * parts, from the cache or rendered once into it. `key` must name everything else the
   * page shows; `page` is only called on a miss, so a hit reads nothing but the live data.
   */
  const renderCached = (
    res: Response,
    key: string,
    page: (ctx: RenderContext) => VNode,
    live: Record<string, LivePart> = {},
  ) => {
    const ctx = context();
    // without a cache a template would only be filled once: the page is rendered whole
    if (options.pageCacheEntries === 0) return render(res, page(ctx));
    let template = cache.get(key);
    if (!template) {
      const slots = new SlotRecorder();
      template = toTemplate(`<!doctype html>${renderToString(page({ ...ctx, slots }))}`, slots);
      // the data held a slot's marker: this page is rendered whole, and not kept
      if (!template) return render(res, page(ctx));
      cache.set(key, template);
    }
    const filled = fillTemplate(template, {
      nowMs: ctx.nowMs,
      live: (name) => {
        const part = live[name];
        if (!part) throw new Error(`the page has no live part ${name}`);
        return livePart(name, part, ctx);
      },
    });
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', filled.bytes);
    // corked: the headers and every part leave in one write
    res.cork();
    for (const part of filled.parts) res.write(part);
    res.end();
    res.uncork();
  };

  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });

  const assetOptions = {
    maxAge: options.assetsMaxAgeSeconds * 1000,
    index: false,
    dotfiles: 'ignore',
  } as const;
  router.use('/assets', express.static(PUBLIC_DIR, { ...assetOptions, fallthrough: true, redirect: false }));
  router.get('/assets/uplot/:file', (req, res, next) => {
    const file = UPLOT_FILES[req.params.file];
    if (!Object.hasOwn(UPLOT_FILES, req.params.file) || file === undefined) return next();
    res.sendFile(file, { maxAge: assetOptions.maxAge });
  });

  router.get('/', (_req, res) => {
    const ctx = context();
    const blocks = reader.blocks({ limit: options.homeItems });
    render(
      res,
      <HomePage
        ctx={ctx}
        data={{
          status: options.status(),
          stats: reader.stats(),
          blocks: blocks.items,
          txs: latestTxs(reader, options, blocks),
        }}
      />,
    );
  });

  router.get('/blocks', (req, res) => {
    const cursor = parseCursor(req.query);
    const before = parseBefore(req.query);
    const page = readPage(() => reader.blocks({ limit: options.pageLimit, cursor, before }));
    render(
      res,
      <BlocksPage
        ctx={context()}
        page={page}
        first={cursor === undefined && before === undefined}
        head={reader.head().height}
      />,
    );
  });

  router.get('/blocks/:id', (req, res) => {
    const id = parseBlockId(req.params.id);
    const cursor = parseCursor(req.query);
    const head = reader.head().height;
    const block = reader.block(id);
    if (!block)
      throw notFound(
        'BLOCK_NOT_FOUND',
        'height' in id
          ? `There is no block at height ${id.height}: this node's head is block ${head}.`
          : 'This node holds no committed block with that hash.',
      );
    const page = (ctx: RenderContext) => {
      const txs = readPage(() => reader.blockTxs(block.height, { limit: options.pageLimit, cursor }));
      if (!txs) throw notFound('BLOCK_NOT_FOUND', 'This node holds no committed block at that height.');
      return <BlockPage ctx={ctx} block={block} txs={txs} first={cursor === undefined} head={head} />;
    };
    // final once certified: its page changes no more, but for the link to its child
    if (block.qc === null) return render(res, page(context()));
    renderCached(
      res,
      `block ${block.height} ${block.height < head ? 'below' : 'head'} ${cursor ?? ''}`,
      page,
    );
  });

  router.get('/txs/:hash', (req, res) => {
    const hash = parseTxHash(req.params.hash);
    // the head before the read: a pending transaction's block is above it, so a stream
    // that starts there cannot miss it, however late the page's script subscribes
    const head = reader.head().height;
    const tx = reader.tx(hash);
    if (tx.status === 'unknown')
      throw notFound(
        'TX_NOT_FOUND',
        'This node knows no transaction with that hash: it is neither committed up to its head nor waiting in its mempool.',
      );
    const block: BlockDetail | undefined =
      tx.status === 'committed' ? reader.block({ height: tx.height }) : undefined;
    render(res, <TxPage ctx={context()} tx={tx} block={block} head={head} />);
  });

  router.get('/accounts/:address', (req, res) => {
    const address = parseAccountAddress(req.params.address);
    const cursor = parseCursor(req.query);
    // the history is the committed one up to the head: the same page until the head moves
    const head = reader.head().height;
    const account = reader.account(address);
    renderCached(
      res,
      `account ${account.address} ${head} ${cursor ?? ''}`,
      (ctx) => {
        const history = readPage(() => reader.accountTxs(address, { limit: options.pageLimit, cursor }));
        return <AccountPage ctx={ctx} account={account} history={history} first={cursor === undefined} />;
      },
      {
        [ACCOUNT_LIVE]: {
          key: `${account.address} ${account.exists} ${account.balance} ${account.nonce} ${account.pendingNonce}`,
          render: (ctx) => <AccountOverview ctx={ctx} account={account} />,
        },
      },
    );
  });

  router.get('/validators', (_req, res) => {
    render(
      res,
      <ValidatorsPage ctx={context()} view={reader.validators()} evidence={options.evidence?.() ?? []} />,
    );
  });

  router.get('/search', (req, res) => {
    const target = parseSearch(req.query);
    if (target.kind === 'address')
      return res.redirect(302, `/accounts/${checksummed(hexOf(target.address))}`);
    if (target.kind === 'height') {
      const head = reader.head().height;
      if (target.height > head)
        throw notFound(
          'BLOCK_NOT_FOUND',
          `There is no block at height ${target.height} yet: this node's head is block ${head}.`,
        );
      return res.redirect(302, `/blocks/${target.height}`);
    }
    const hash = toHex(target.hash);
    if (reader.block({ hash: target.hash })) return res.redirect(302, `/blocks/${hash}`);
    if (reader.tx(target.hash).status !== 'unknown') return res.redirect(302, `/txs/${hash}`);
    throw notFound(
      'HASH_NOT_FOUND',
      'This hash names neither a block nor a transaction this node knows (committed up to its head, or pending in its mempool).',
    );
  });

  // a readable page for any other path a person types (the API's own paths keep their JSON 404)
  router.use((req, _res, next) => {
    if (req.path.startsWith('/api/') || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    throw notFound('PAGE_NOT_FOUND', 'The explorer has no page at this address.');
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/api/')) return next(err);
    const known = asPageError(err);
    if (!known) options.onError?.(err);
    const status = known?.status ?? 500;
    const search =
      req.path === '/search' && typeof req.query.q === 'string'
        ? req.query.q.slice(0, MAX_SEARCH_CHARS)
        : undefined;
    render(
      res,
      <ErrorPage
        ctx={context()}
        status={status}
        title={known?.title ?? 'Something went wrong'}
        message={known?.message ?? 'The explorer could not answer this request. Try again in a moment.'}
        search={search}
      />,
      status,
    );
  });
  return router;
}

/** A reader's refusal of a cursor is the client's fault: a 400 page. */
function readPage<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CursorError)
      throw badInput('INVALID_CURSOR', 'This page link is not one the explorer handed out.');
    throw err;
  }
}

function asPageError(err: unknown): PageError | undefined {
  if (err instanceof PageError) return err;
  if (err instanceof URIError)
    return badInput('INVALID_PATH_ENCODING', 'A part of this address is not valid percent-encoded text.');
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new PageError(
      status === 404 ? 404 : 400,
      'BAD_REQUEST',
      status === 404 ? 'Not found' : 'Bad request',
      'The explorer could not read this request.',
    );
  return undefined;
}

const hexOf = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;

/**
 * The home page's latest transactions: a few pending ones, then the newest committed ones
 * from the newest blocks, reading at most homeBlocksScanned blocks (empty blocks cost a
 * read each, so a quiet chain still answers quickly).
 */
function latestTxs(
  reader: ExplorerReader,
  options: ExplorerPagesOptions,
  newest: ReturnType<ExplorerReader['blocks']>,
): Array<CommittedTx | PendingTx> {
  const wanted = options.homeItems;
  const out: Array<CommittedTx | PendingTx> = reader.mempool({ limit: Math.ceil(wanted / 2) }).items;
  let page = newest;
  let scanned = 0;
  while (out.length < wanted && scanned < options.homeBlocksScanned) {
    for (const block of page.items) {
      if (out.length >= wanted || scanned >= options.homeBlocksScanned) break;
      scanned++;
      if (block.txCount === 0) continue;
      // one page from a block's start, shown newest first: a big block's tail is one click away
      const txs = reader.blockTxs(block.height, { limit: wanted - out.length });
      if (txs) out.push(...txs.items.reverse());
    }
    if (page.next === null) break;
    page = reader.blocks({ limit: options.homeItems, cursor: page.next });
  }
  return out;
}
