/**
 * The pieces every page is built from. Preact escapes every text child and attribute, so
 * data from the chain or a URL is passed as values, never pasted into markup; no
 * component sets inner HTML.
 */
import type { ComponentChildren } from 'preact';
import type { CommittedTx, PendingTx, QcView } from '../server/index.js';
import { amountTexts, checksummed, formatInteger, isoTime, relativeTime, shortHash } from './format.js';
import type { SlotRecorder } from './page-cache.js';
import { MAX_SEARCH_CHARS } from './params.js';

/** What every page renders with: the currency label and the time "now" is measured from. */
export interface RenderContext {
  symbol: string;
  nowMs: number;
  chainId: string;
  /**
   * Rendering a template (page-cache.ts): relative times and live parts become slots,
   * filled for each request, instead of being written from `nowMs` and the data at hand.
   */
  slots?: SlotRecorder;
}

export const ASSETS = {
  css: '/assets/explorer.css',
  script: '/assets/explorer.js',
  uplotCss: '/assets/uplot/uPlot.min.css',
  icon: '/assets/favicon.svg',
} as const;

interface LayoutProps {
  ctx: RenderContext;
  title: string;
  /** Text kept in the header's search box (the search a 404 or 400 answered). */
  search?: string;
  /** The home page opens the live stream and draws charts. */
  live?: boolean;
  /**
   * A pending transaction's page reloads once a block commits it: it follows the blocks
   * after `sinceHeight`, the head it was rendered at, so none committed before its script
   * subscribed is missed.
   */
  watchTx?: { hash: string; sinceHeight: number };
  children: ComponentChildren;
}

export function Layout({ ctx, title, search, live, watchTx, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · BFT Ledger Explorer`}</title>
        <link rel="icon" href={ASSETS.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={ASSETS.css} />
        {live && <link rel="stylesheet" href={ASSETS.uplotCss} />}
        <script type="module" src={ASSETS.script} />
      </head>
      <body
        data-live={live ? 'true' : undefined}
        data-watch-tx={watchTx?.hash}
        data-watch-since={watchTx === undefined ? undefined : String(watchTx.sinceHeight)}
        data-symbol={ctx.symbol}
      >
        <header class="site-header">
          <div class="wrap header-row">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">
                ◆
              </span>{' '}
              BFT Ledger <span class="brand-sub">Explorer</span>
            </a>
            <nav class="nav">
              <a href="/">Home</a>
              <a href="/blocks">Blocks</a>
              <a href="/validators">Validators</a>
            </nav>
            {/* the home page has its own, larger search box */}
            {!live && <SearchForm value={search} />}
          </div>
        </header>
        <main class="wrap">{children}</main>
        <footer class="site-footer wrap">
          <span>
            Chain <code>{ctx.chainId}</code>
          </span>
          <span>Amounts in {ctx.symbol} (10^18 wei); hover for the exact wei.</span>
        </footer>
      </body>
    </html>
  );
}

export function SearchForm({ value, big }: { value?: string; big?: boolean }) {
  return (
    <form class={big ? 'search search-big' : 'search'} action="/search" method="get">
      <input
        type="search"
        name="q"
        value={value ?? ''}
        placeholder="Height, block or tx hash, address"
        aria-label="Search by height, hash or address"
        maxLength={MAX_SEARCH_CHARS}
        autocomplete="off"
        spellcheck={false}
      />
      <button type="submit">Search</button>
    </form>
  );
}

export function Amount({ wei, ctx }: { wei: string; ctx: RenderContext }) {
  const { units, exact } = amountTexts(wei);
  return (
    <span class="amount" title={exact}>
      {units} <span class="symbol">{ctx.symbol}</span>
    </span>
  );
}

/** Relative time, with the absolute one as the title and machine-readable datetime. */
export function Time({ ms, ctx }: { ms: number; ctx: RenderContext }) {
  const iso = isoTime(ms);
  return (
    <time datetime={iso} title={iso} data-ms={String(ms)}>
      {ctx.slots ? ctx.slots.time(ms) : relativeTime(ms, ctx.nowMs)}
    </time>
  );
}

/**
 * A part of a page that changes while the rest of it does not (an account's balance): in
 * a template, a slot the router fills with `children` rendered for each request.
 */
export function Live({
  ctx,
  name,
  children,
}: {
  ctx: RenderContext;
  name: string;
  children: ComponentChildren;
}) {
  return <>{ctx.slots ? ctx.slots.live(name) : children}</>;
}

export function HashLink({ href, hash, full }: { href: string; hash: string; full?: boolean }) {
  return (
    <a class="mono" href={href} title={hash}>
      {full ? hash : shortHash(hash)}
    </a>
  );
}

export function AddressLink({ address, full, name }: { address: string; full?: boolean; name?: string }) {
  const shown = checksummed(address);
  return (
    <a class="mono addr" href={`/accounts/${shown}`} title={shown}>
      {name ? <span class="addr-name">{name}</span> : null}
      {full ? shown : shortHash(shown, 8, 6)}
    </a>
  );
}

export const blockHref = (height: number) => `/blocks/${height}`;
export const txHref = (hash: string) => `/txs/${hash}`;

export function Pager({ next, path, first }: { next: string | null; path: string; first: boolean }) {
  if (first && next === null) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {first ? <span /> : <a href={path}>« Newest</a>}
      {next !== null ? (
        <a href={`${path}?cursor=${encodeURIComponent(next)}`} rel="next">
          Older »
        </a>
      ) : (
        <span class="muted">End of list</span>
      )}
    </nav>
  );
}

export function Card({
  title,
  children,
  extra,
}: {
  title: string;
  children: ComponentChildren;
  extra?: ComponentChildren;
}) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>{title}</h2>
        {extra}
      </div>
      {children}
    </section>
  );
}

/** A definition list of label / value rows. */
export function Fields({ rows }: { rows: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="fields">
      {rows.map(([label, value]) => (
        <div class="field" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function StatusBadge({ tx }: { tx: CommittedTx | PendingTx }) {
  if (tx.status === 'committed') return <span class="badge badge-final">Final</span>;
  return tx.queued ? (
    <span class="badge badge-queued">Queued</span>
  ) : (
    <span class="badge badge-pending">Pending</span>
  );
}

/**
 * A certificate as the row of every genesis validator: signed, or "not in this QC". A QC
 * holds exactly a quorum of signatures, so a healthy validator is often left out of one:
 * it is never shown as having missed anything.
 */
export function QcRow({ qc }: { qc: QcView }) {
  const signers = qc.members.filter((m) => m.signed).length;
  return (
    <div class="qc">
      <p class="qc-summary">
        Round {formatInteger(qc.round)}: {signers} of {qc.members.length} validators signed, voting power{' '}
        <strong>{qc.votingPower}</strong> of the <strong>{qc.quorum}</strong> a quorum needs{' '}
        {qc.votingPower >= qc.quorum ? <span class="badge badge-final">Quorum</span> : null}
      </p>
      <ul class="qc-row">
        {qc.members.map((m) => (
          <li
            key={m.index}
            class={m.signed ? 'qc-member signed' : 'qc-member absent'}
            title={`${m.name} (${checksummed(m.address)}), power ${m.power}: ${m.signed ? 'signed' : 'not in this QC'}`}
          >
            <span class="qc-dot" aria-hidden="true" />
            <span class="qc-name">{m.name}</span>
            <span class="qc-state">{m.signed ? 'signed' : 'not in this QC'}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A horizontal bar for a share in 0..1, drawn in SVG (no inline styles: the CSP forbids them). */
export function ShareBar({ share, label }: { share: number | null; label: string }) {
  if (share === null) return <span class="muted">not observed</span>;
  const width = Math.max(0, Math.min(100, share * 100));
  return (
    <span class="bar">
      <svg viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={label}>
        <rect class="bar-track" x="0" y="0" width="100" height="8" rx="2" />
        <rect
          class={share >= 0.9 ? 'bar-fill good' : share >= 0.6 ? 'bar-fill fair' : 'bar-fill poor'}
          x="0"
          y="0"
          width={width.toFixed(2)}
          height="8"
          rx="2"
        />
      </svg>
      <span class="bar-label">{label}</span>
    </span>
  );
}
