// The explorer's browser script. The pages are complete without it; it adds:
//  - relative times ("12 s ago") that keep counting,
//  - on the home page, the live stream (GET /api/v1/events): new blocks and pending
//    transactions are prepended, the head height follows, the charts grow,
//  - the charts drawn with uPlot, served by this server from node_modules.
// Rows are built with DOM calls and textContent only: nothing the stream sends is parsed as HTML.
import { checksummed, formatInteger, formatUnits, formatWei, relativeTime, shortHash } from './format.js';

const TIME_REFRESH_MS = 5000;
/** Points a chart keeps: the server sends the newest hundred blocks. */
const CHART_POINTS = 100;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs))
    if (value !== undefined) node.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function timeEl(ms) {
  const iso = new Date(ms).toISOString();
  return el('time', { datetime: iso, title: iso, 'data-ms': ms }, relativeTime(ms, Date.now()));
}

function refreshTimes() {
  const now = Date.now();
  for (const t of document.querySelectorAll('time[data-ms]'))
    t.textContent = relativeTime(Number(t.dataset.ms), now);
}

const symbol = () => document.body.dataset.symbol ?? '';

function amountEl(wei) {
  return el(
    'span',
    { class: 'amount', title: formatWei(wei) },
    `${formatUnits(wei)} `,
    el('span', { class: 'symbol' }, symbol()),
  );
}

function addressEl(address) {
  const shown = checksummed(address);
  return el('a', { class: 'mono addr', href: `/accounts/${shown}`, title: shown }, shortHash(shown, 8, 6));
}

function blockItem(block) {
  const txs = block.txCount === 1 ? 'tx' : 'txs';
  return el(
    'li',
    { class: 'feed-item fresh', 'data-height': block.height },
    el('span', { class: 'feed-icon', 'aria-hidden': 'true' }, 'Bk'),
    el(
      'div',
      { class: 'feed-main' },
      el('a', { href: `/blocks/${block.height}`, class: 'strong' }, `#${formatInteger(block.height)}`),
      el('span', { class: 'muted small' }, timeEl(block.timestampMs)),
    ),
    el(
      'div',
      { class: 'feed-side' },
      el('span', { class: 'small' }, 'by ', el('span', { class: 'strong' }, block.proposer.name)),
      el('span', { class: 'small muted' }, `${block.txCount} ${txs}, round ${block.round}`),
    ),
  );
}

function badgeEl(tx) {
  if (tx.status === 'committed') return el('span', { class: 'badge badge-final' }, 'Final');
  return tx.queued
    ? el('span', { class: 'badge badge-queued' }, 'Queued')
    : el('span', { class: 'badge badge-pending' }, 'Pending');
}

function txItem(tx) {
  const where =
    tx.status === 'committed'
      ? el(
          'span',
          { class: 'muted' },
          'in ',
          el('a', { href: `/blocks/${tx.height}` }, `#${formatInteger(tx.height)}`),
        )
      : el('span', { class: 'muted' }, 'in the mempool');
  return el(
    'li',
    { class: 'feed-item fresh', 'data-tx': tx.hash },
    el('span', { class: 'feed-icon', 'aria-hidden': 'true' }, 'Tx'),
    el(
      'div',
      { class: 'feed-main' },
      el('a', { class: 'mono', href: `/txs/${tx.hash}`, title: tx.hash }, shortHash(tx.hash)),
      el('span', { class: 'small' }, badgeEl(tx), ' ', where),
    ),
    el(
      'div',
      { class: 'feed-side' },
      el('span', { class: 'small' }, addressEl(tx.from), ' → ', addressEl(tx.to)),
      amountEl(tx.value),
    ),
  );
}

function prepend(list, item) {
  list.parentElement.querySelector('.empty')?.remove();
  list.prepend(item);
  const max = Number(list.dataset.maxItems) || 10;
  while (list.children.length > max) list.lastElementChild.remove();
}

// ------------------------------------------------------------------ charts

const charts = [];

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

async function drawCharts() {
  const figures = [...document.querySelectorAll('.chart[data-series]')];
  if (figures.length === 0) return;
  const { default: uPlot } = await import('/assets/uplot/uPlot.esm.js');
  const axis = {
    stroke: cssVar('--muted'),
    grid: { stroke: cssVar('--border'), width: 1 },
    ticks: { show: false },
  };
  for (const figure of figures) {
    const plot = figure.querySelector('.chart-plot');
    const series = JSON.parse(figure.dataset.series);
    const bars = figure.dataset.kind === 'bars';
    const accent = cssVar('--accent');
    const chart = new uPlot(
      {
        width: Math.max(200, plot.clientWidth - 8),
        height: 160,
        legend: { show: false },
        cursor: { y: false },
        scales: { x: { time: false } },
        axes: [{ ...axis }, { ...axis, size: 44 }],
        series: [
          { label: 'height' },
          {
            label: figure.dataset.unit,
            stroke: accent,
            width: bars ? 0 : 2,
            fill: bars ? accent : undefined,
            paths: bars ? uPlot.paths.bars({ size: [0.8, 12] }) : undefined,
            points: { show: false },
          },
        ],
      },
      [series.x, series.y],
      plot,
    );
    figure.classList.add('drawn');
    charts.push({ figure, chart, series, lastMs: Number(figure.dataset.lastMs) || undefined });
  }
  new ResizeObserver(() => {
    for (const { figure, chart } of charts)
      chart.setSize({
        width: Math.max(200, figure.querySelector('.chart-plot').clientWidth - 8),
        height: 160,
      });
  }).observe(document.querySelector('.charts'));
}

function extendCharts(block) {
  for (const entry of charts) {
    if (entry.lastMs === undefined) {
      entry.lastMs = block.timestampMs;
      continue;
    }
    const seconds = Math.max(0, (block.timestampMs - entry.lastMs) / 1000);
    entry.lastMs = block.timestampMs;
    const value = entry.figure.id === 'chart-txs' ? (seconds > 0 ? block.txCount / seconds : 0) : seconds;
    entry.series.x.push(block.height);
    entry.series.y.push(value);
    if (entry.series.x.length > CHART_POINTS) {
      entry.series.x.shift();
      entry.series.y.shift();
    }
    entry.chart.setData([entry.series.x, entry.series.y]);
  }
}

// ------------------------------------------------------------------ the live stream

function followStream() {
  const headLink = document.querySelector('[data-head-height]');
  const blocks = document.getElementById('latest-blocks');
  const txs = document.getElementById('latest-txs');
  const lastCommit = document.querySelector('[data-last-commit]');
  if (!headLink || !blocks || !txs) return;
  let head = Number(headLink.dataset.headHeight);
  // from the height this page shows, so no block between render and connect is lost;
  // on a reconnect EventSource sends Last-Event-ID, which the server prefers
  const stream = new EventSource(`/api/v1/events?since=${head}`);

  stream.addEventListener('block', (event) => {
    const block = JSON.parse(event.data);
    if (block.height <= head) return;
    head = block.height;
    headLink.textContent = formatInteger(head);
    headLink.setAttribute('href', `/blocks/${head}`);
    headLink.dataset.headHeight = String(head);
    if (lastCommit) lastCommit.replaceChildren(timeEl(block.timestampMs));
    prepend(blocks, blockItem(block));
    for (const tx of block.txs ?? []) {
      txs.querySelector(`[data-tx="${CSS.escape(tx.hash)}"]`)?.remove();
      prepend(txs, txItem(tx));
    }
    extendCharts(block);
    document.body.dataset.liveHead = String(head);
  });

  stream.addEventListener('tx', (event) => {
    const tx = JSON.parse(event.data);
    if (txs.querySelector(`[data-tx="${CSS.escape(tx.hash)}"]`)) return;
    prepend(txs, txItem(tx));
  });

  // the server cannot resume where this page left off: the page itself is the fresh start
  stream.addEventListener('reset', () => {
    stream.close();
    location.reload();
  });

  stream.addEventListener('open', () => {
    document.body.dataset.stream = 'open';
  });
}

/**
 * A pending transaction's page shows it final as soon as a block commits it. The stream
 * starts after the height the page was rendered at: a block committed while the page was
 * loading is sent too. A reset (too far behind) reloads: the page is the fresh start.
 */
function watchTransaction(hash, sinceHeight) {
  const since = /^(?:0|[1-9][0-9]{0,15})$/.test(sinceHeight ?? '') ? `?since=${sinceHeight}` : '';
  const stream = new EventSource(`/api/v1/events${since}`);
  stream.addEventListener('block', async (event) => {
    const block = JSON.parse(event.data);
    let committed = (block.txs ?? []).some((tx) => tx.hash === hash);
    // a block event carries only its first transactions: ask about the rest
    if (!committed && block.txCount > (block.txs ?? []).length) {
      const answer = await fetch(`/api/v1/txs/${hash}`).then((res) => (res.ok ? res.json() : undefined));
      committed = answer?.status === 'committed';
    }
    if (committed) {
      stream.close();
      location.reload();
    }
  });
  stream.addEventListener('reset', () => {
    stream.close();
    location.reload();
  });
  stream.addEventListener('open', () => {
    document.body.dataset.stream = 'open';
  });
}

setInterval(refreshTimes, TIME_REFRESH_MS);
if (document.body.dataset.watchTx)
  watchTransaction(document.body.dataset.watchTx, document.body.dataset.watchSince);
if (document.body.dataset.live === 'true') {
  followStream();
  drawCharts().catch(() => {
    // the server-drawn SVG stays: the page reads the same without the interactive chart
  });
}
