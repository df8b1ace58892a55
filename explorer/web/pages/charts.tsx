/**
 * The home page's two charts. The server draws each as a plain SVG so the page reads
 * without JavaScript; the browser script (public/explorer.js) replaces it with an
 * interactive uPlot chart fed from the same numbers (the element's data-series) and
 * extends it as blocks arrive.
 */
import type { StatsView } from '../../server/index.js';

type Recent = StatsView['recent'];

const WIDTH = 600;
const HEIGHT = 160;
const PAD = 4;

interface Series {
  /** Block heights. */
  x: number[];
  y: number[];
}

/** Each block's transactions over the seconds since its parent: the rate it committed at. */
function txRateSeries(recent: Recent): Series {
  const rows = recent.slice(1);
  return {
    x: rows.map((b) => b.height),
    y: rows.map((b, i) => {
      const seconds = (b.timestampMs - recent[i].timestampMs) / 1000;
      return seconds > 0 ? b.txCount / seconds : 0;
    }),
  };
}

/** Seconds since the previous block; the first block of the list has no previous one here. */
function blockTimeSeries(recent: Recent): Series {
  const rows = recent.slice(1);
  return {
    x: rows.map((b) => b.height),
    y: rows.map((b, i) => Math.max(0, (b.timestampMs - recent[i].timestampMs) / 1000)),
  };
}

interface ChartProps {
  id: string;
  title: string;
  unit: string;
  series: Series;
  kind: 'bars' | 'line';
  /** The newest block's timestamp: the script measures the next block's interval from it. */
  lastMs: number | undefined;
}

function Chart({ id, title, unit, series, kind, lastMs }: ChartProps) {
  const max = Math.max(1e-9, ...series.y);
  const n = series.y.length;
  const step = n > 0 ? (WIDTH - 2 * PAD) / n : 0;
  const yOf = (v: number) => HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD);
  const last = series.y[n - 1];
  return (
    <figure
      class="chart card"
      id={id}
      data-series={JSON.stringify(series)}
      data-unit={unit}
      data-kind={kind}
      data-last-ms={lastMs === undefined ? undefined : String(lastMs)}
    >
      <figcaption>
        <span>{title}</span>
        <span class="muted small">
          last {n} blocks{last !== undefined ? `, latest ${formatValue(last)} ${unit}` : ''}, peak{' '}
          {formatValue(n > 0 ? max : 0)} {unit}
        </span>
      </figcaption>
      <div class="chart-plot">
        <svg
          class="chart-fallback"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${title} over the last ${n} blocks`}
        >
          <line class="chart-axis" x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} />
          {kind === 'bars' ? (
            series.y.map((v, i) => (
              <rect
                key={series.x[i]}
                class="chart-bar"
                x={(PAD + i * step).toFixed(1)}
                y={yOf(v).toFixed(1)}
                width={Math.max(1, step - 1).toFixed(1)}
                height={(HEIGHT - PAD - yOf(v)).toFixed(1)}
              />
            ))
          ) : (
            <polyline
              class="chart-line"
              points={series.y
                .map((v, i) => `${(PAD + (i + 0.5) * step).toFixed(1)},${yOf(v).toFixed(1)}`)
                .join(' ')}
            />
          )}
        </svg>
      </div>
    </figure>
  );
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function TxRateChart({ recent }: { recent: Recent }) {
  return (
    <Chart
      id="chart-txs"
      title="Transactions per second"
      unit="tx/s"
      series={txRateSeries(recent)}
      kind="bars"
      lastMs={recent[recent.length - 1]?.timestampMs}
    />
  );
}

export function BlockTimeChart({ recent }: { recent: Recent }) {
  return (
    <Chart
      id="chart-block-time"
      title="Block time"
      unit="s"
      series={blockTimeSeries(recent)}
      kind="line"
      lastMs={recent[recent.length - 1]?.timestampMs}
    />
  );
}
