/** The blocks list (keyset-paginated, newest first) and one block's page. */
import type { BlockDetail, BlockSummary, CommittedTx, Page } from '../../server/index.js';
import {
  AddressLink,
  Amount,
  blockHref,
  Card,
  Fields,
  HashLink,
  Layout,
  Pager,
  QcRow,
  type RenderContext,
  Time,
  txHref,
} from '../components.js';
import { formatInteger, isoTime } from '../format.js';

export function BlocksPage({
  ctx,
  page,
  first,
  head,
}: {
  ctx: RenderContext;
  page: Page<BlockSummary>;
  first: boolean;
  head: number;
}) {
  return (
    <Layout ctx={ctx} title="Blocks">
      <div class="page-head">
        <h1>Blocks</h1>
        <form class="jump" action="/blocks" method="get">
          <label for="before">Below height</label>
          <input
            id="before"
            name="before"
            type="number"
            min="0"
            max={String(head + 1)}
            inputMode="numeric"
            placeholder={String(head + 1)}
          />
          <button type="submit">Go</button>
        </form>
      </div>
      <Card
        title={
          page.items.length > 0
            ? `Blocks ${formatInteger(page.items[0].height)} to ${formatInteger(page.items[page.items.length - 1].height)}`
            : 'No blocks'
        }
      >
        <div class="table-scroll">
          <table class="table stack">
            <thead>
              <tr>
                <th>Height</th>
                <th>Hash</th>
                <th>Age</th>
                <th>Proposer</th>
                <th class="num">Round</th>
                <th class="num">Txs</th>
                <th class="num hide-narrow">Size</th>
                <th class="num hide-narrow">Fees</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((b) => (
                <tr key={b.hash}>
                  <td data-label="Height">
                    <a href={blockHref(b.height)} class="strong">
                      {formatInteger(b.height)}
                    </a>
                  </td>
                  <td data-label="Hash">
                    <HashLink href={blockHref(b.height)} hash={b.hash} />
                  </td>
                  <td data-label="Age">
                    <Time ms={b.timestampMs} ctx={ctx} />
                  </td>
                  <td data-label="Proposer">{b.proposer.name}</td>
                  <td class="num" data-label="Round">
                    {formatInteger(b.round)}
                  </td>
                  <td class="num" data-label="Txs">
                    {b.txCount}
                  </td>
                  <td class="num hide-narrow" data-label="Size">
                    {formatInteger(b.sizeBytes)} B
                  </td>
                  <td class="num hide-narrow" data-label="Fees">
                    <Amount wei={b.fees} ctx={ctx} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager next={page.next} path="/blocks" first={first} />
      </Card>
    </Layout>
  );
}

export function BlockPage({
  ctx,
  block,
  txs,
  first,
  head,
}: {
  ctx: RenderContext;
  block: BlockDetail;
  txs: Page<CommittedTx>;
  first: boolean;
  head: number;
}) {
  const path = blockHref(block.height);
  return (
    <Layout ctx={ctx} title={`Block ${block.height}`}>
      <div class="page-head">
        <h1>
          Block <span class="mono">#{formatInteger(block.height)}</span>
        </h1>
        <nav class="prev-next" aria-label="Neighbouring blocks">
          {block.height > 0 ? (
            <a href={blockHref(block.height - 1)}>‹ #{formatInteger(block.height - 1)}</a>
          ) : (
            <span />
          )}
          {block.height < head ? (
            <a href={blockHref(block.height + 1)}>#{formatInteger(block.height + 1)} ›</a>
          ) : (
            <span class="muted">Head</span>
          )}
        </nav>
      </div>
      <Card title="Overview">
        <Fields
          rows={[
            [
              'Status',
              block.qc ? (
                <span class="badge badge-final">Final, certified</span>
              ) : (
                <span class="badge badge-final">Final</span>
              ),
            ],
            ['Hash', <span class="mono break">{block.hash}</span>],
            [
              'Parent',
              block.height > 0 ? (
                <HashLink href={blockHref(block.height - 1)} hash={block.parentHash} full />
              ) : (
                <span class="mono break">{block.parentHash}</span>
              ),
            ],
            [
              'Time',
              <>
                <Time ms={block.timestampMs} ctx={ctx} />{' '}
                <span class="muted small">{isoTime(block.timestampMs)}</span>
              </>,
            ],
            [
              'Proposer',
              <>
                {block.proposer.name} <AddressLink address={block.proposer.address} />
              </>,
            ],
            ['Round', formatInteger(block.round)],
            ['Transactions', formatInteger(block.txCount)],
            ['Size', `${formatInteger(block.sizeBytes)} bytes`],
            ['Gas used', formatInteger(block.gasUsed)],
            ['Fees', <Amount wei={block.fees} ctx={ctx} />],
            ['Burned', <Amount wei={block.burned} ctx={ctx} />],
            ['State root', <span class="mono break">{block.stateRoot}</span>],
            ['Tx root', <span class="mono break">{block.txRoot}</span>],
            ['Chain', <code>{block.chainId}</code>],
          ]}
        />
      </Card>
      <Card title="Quorum certificate">
        {block.qc ? (
          <QcRow qc={block.qc} />
        ) : (
          <p class="muted">
            This block's certificate arrives with its child block; this node does not hold it yet.
          </p>
        )}
        {block.parentQc ? (
          <details class="parent-qc">
            <summary>
              The certificate in this block's header (certifies block #{formatInteger(block.height - 1)})
            </summary>
            <QcRow qc={block.parentQc} />
          </details>
        ) : null}
      </Card>
      <Card title={`Transactions (${formatInteger(block.txCount)})`}>
        {txs.items.length === 0 ? (
          <p class="muted empty">
            {block.txCount === 0 ? 'This block holds no transactions.' : 'No more transactions.'}
          </p>
        ) : (
          <TxTable txs={txs.items} ctx={ctx} showBlock={false} />
        )}
        <Pager next={txs.next} path={path} first={first} />
      </Card>
    </Layout>
  );
}

/** Committed transactions as table rows; `perspective` marks each as sent or received. */
export function TxTable({
  txs,
  ctx,
  showBlock,
  perspective,
}: {
  txs: CommittedTx[];
  ctx: RenderContext;
  showBlock: boolean;
  perspective?: string;
}) {
  return (
    <div class="table-scroll">
      <table class="table stack">
        <thead>
          <tr>
            <th>Hash</th>
            {showBlock ? <th>Block</th> : <th class="num">#</th>}
            {showBlock && <th class="hide-narrow">Age</th>}
            <th>From</th>
            {perspective !== undefined && <th />}
            <th>To</th>
            <th class="num">Value</th>
            <th class="num hide-narrow">Fee</th>
          </tr>
        </thead>
        <tbody>
          {txs.map((tx) => (
            <tr key={tx.hash}>
              <td data-label="Hash">
                <HashLink href={txHref(tx.hash)} hash={tx.hash} />
              </td>
              {showBlock ? (
                <td data-label="Block">
                  <a href={blockHref(tx.height)}>{formatInteger(tx.height)}</a>
                </td>
              ) : (
                <td class="num" data-label="#">
                  {tx.index}
                </td>
              )}
              {showBlock && (
                <td class="hide-narrow" data-label="Age">
                  <Time ms={tx.timestampMs} ctx={ctx} />
                </td>
              )}
              <td data-label="From">
                <AddressLink address={tx.from} />
              </td>
              {perspective !== undefined && (
                <td class="direction">
                  <Direction tx={tx} address={perspective} />
                </td>
              )}
              <td data-label="To">
                <AddressLink address={tx.to} />
              </td>
              <td class="num" data-label="Value">
                <Amount wei={tx.value} ctx={ctx} />
              </td>
              <td class="num hide-narrow" data-label="Fee">
                <Amount wei={tx.receipt.fee} ctx={ctx} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Direction({ tx, address }: { tx: CommittedTx; address: string }) {
  if (tx.from === address && tx.to === address) return <span class="badge badge-self">Self</span>;
  return tx.from === address ? (
    <span class="badge badge-out">Out</span>
  ) : (
    <span class="badge badge-in">In</span>
  );
}
