/** Home: consensus state, charts, latest blocks and transactions (live with JavaScript). */
import type { ComponentChildren } from 'preact';
import type { BlockSummary, CommittedTx, NodeStatus, PendingTx, StatsView } from '../../server/index.js';
import {
  AddressLink,
  Amount,
  blockHref,
  Card,
  HashLink,
  Layout,
  type RenderContext,
  SearchForm,
  StatusBadge,
  Time,
  txHref,
} from '../components.js';
import { checksummed, formatInteger } from '../format.js';
import { BlockTimeChart, TxRateChart } from './charts.js';

export interface HomeData {
  status: NodeStatus;
  stats: StatsView;
  blocks: BlockSummary[];
  txs: Array<CommittedTx | PendingTx>;
}

export function HomePage({ ctx, data }: { ctx: RenderContext; data: HomeData }) {
  const { status, stats } = data;
  const shortWindow = stats.windows[0];
  const lastCommitMs = data.blocks[0]?.timestampMs;
  return (
    <Layout ctx={ctx} title="Home" live>
      <section class="hero">
        <h1>Explore the ledger</h1>
        <p class="muted">
          Blocks are final once a quorum certificate (QC) of validators signs them: no confirmations to wait
          for.
        </p>
        <SearchForm big />
      </section>

      <section class="tiles" aria-label="Consensus state">
        <Tile label="Height">
          <a href={blockHref(stats.height)} data-head-height={String(stats.height)}>
            {formatInteger(stats.height)}
          </a>
        </Tile>
        <Tile label="Round">{status.round > 0 ? formatInteger(status.round) : '–'}</Tile>
        <Tile label="Leader">
          {status.leader ? (
            <a
              href={`/accounts/${checksummed(status.leader.address)}`}
              title={checksummed(status.leader.address)}
            >
              {status.leader.name}
            </a>
          ) : (
            '–'
          )}
        </Tile>
        <Tile label="Last commit">
          <span data-last-commit>
            {lastCommitMs !== undefined ? <Time ms={lastCommitMs} ctx={ctx} /> : '–'}
          </span>
        </Tile>
        <Tile label={`Tx/s (last ${shortWindow?.blocks ?? 0} blocks)`}>
          {shortWindow ? shortWindow.txPerSecond.toFixed(2) : '–'}
        </Tile>
        <Tile label="Block time">
          {shortWindow ? `${(shortWindow.meanBlockTimeMs / 1000).toFixed(2)} s` : '–'}
        </Tile>
        <Tile label="Transactions">{formatInteger(stats.totalTxs)}</Tile>
        <Tile label="Accounts">{formatInteger(stats.totalAccounts)}</Tile>
      </section>

      <section class="charts">
        <TxRateChart recent={stats.recent} />
        <BlockTimeChart recent={stats.recent} />
      </section>

      <div class="columns">
        <Card title="Latest blocks" extra={<a href="/blocks">All blocks »</a>}>
          <ul class="feed" id="latest-blocks" data-max-items={String(data.blocks.length || 10)}>
            {data.blocks.map((b) => (
              <BlockItem key={b.hash} block={b} ctx={ctx} />
            ))}
          </ul>
        </Card>
        <Card title="Latest transactions">
          <ul class="feed" id="latest-txs" data-max-items={String(Math.max(data.txs.length, 10))}>
            {data.txs.map((tx) => (
              <TxItem key={tx.hash} tx={tx} ctx={ctx} />
            ))}
          </ul>
          {data.txs.length === 0 && <p class="muted empty">No transactions yet.</p>}
        </Card>
      </div>
    </Layout>
  );
}

function Tile({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="tile">
      <div class="tile-label">{label}</div>
      <div class="tile-value">{children}</div>
    </div>
  );
}

function BlockItem({ block, ctx }: { block: BlockSummary; ctx: RenderContext }) {
  return (
    <li class="feed-item" data-height={String(block.height)}>
      <span class="feed-icon" aria-hidden="true">
        Bk
      </span>
      <div class="feed-main">
        <a href={blockHref(block.height)} class="strong">
          #{formatInteger(block.height)}
        </a>
        <span class="muted small">
          <Time ms={block.timestampMs} ctx={ctx} />
        </span>
      </div>
      <div class="feed-side">
        <span class="small">
          by <span class="strong">{block.proposer.name}</span>
        </span>
        <span class="small muted">
          {block.txCount} {block.txCount === 1 ? 'tx' : 'txs'}, round {block.round}
        </span>
      </div>
    </li>
  );
}

function TxItem({ tx, ctx }: { tx: CommittedTx | PendingTx; ctx: RenderContext }) {
  return (
    <li class="feed-item" data-tx={tx.hash}>
      <span class="feed-icon" aria-hidden="true">
        Tx
      </span>
      <div class="feed-main">
        <HashLink href={txHref(tx.hash)} hash={tx.hash} />
        <span class="small">
          <StatusBadge tx={tx} />{' '}
          <span class="muted">
            {tx.status === 'committed' ? (
              <>
                in <a href={blockHref(tx.height)}>#{formatInteger(tx.height)}</a>
              </>
            ) : (
              'in the mempool'
            )}
          </span>
        </span>
      </div>
      <div class="feed-side">
        <span class="small">
          <AddressLink address={tx.from} /> → <AddressLink address={tx.to} />
        </span>
        <Amount wei={tx.value} ctx={ctx} />
      </div>
    </li>
  );
}
