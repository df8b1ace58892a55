/** One transaction: final (with the block and the QC that certifies it) or pending. */
import type { ComponentChildren } from 'preact';
import type { BlockDetail, CommittedTx, PendingTx } from '../../server/index.js';
import {
  AddressLink,
  Amount,
  blockHref,
  Card,
  Fields,
  Layout,
  QcRow,
  type RenderContext,
  Time,
} from '../components.js';
import { formatInteger } from '../format.js';

export function TxPage({
  ctx,
  tx,
  block,
  head,
}: {
  ctx: RenderContext;
  tx: CommittedTx | PendingTx;
  block?: BlockDetail;
  /** The committed head when the transaction was read: a pending one's page follows blocks after it. */
  head: number;
}) {
  return (
    <Layout
      ctx={ctx}
      title={`Transaction ${tx.hash.slice(0, 10)}`}
      watchTx={tx.status === 'pending' ? { hash: tx.hash, sinceHeight: head } : undefined}
    >
      <div class="page-head">
        <h1>Transaction</h1>
      </div>
      <p class="mono break lead">{tx.hash}</p>
      {tx.status === 'committed' ? <FinalBanner tx={tx} /> : <PendingBanner tx={tx} ctx={ctx} />}
      <Card title="Overview">
        <Fields
          rows={[
            ...(tx.status === 'committed'
              ? ([
                  ['Block', <a href={blockHref(tx.height)}>#{formatInteger(tx.height)}</a>],
                  ['Position', `transaction ${tx.index} of the block`],
                  ['Time', <Time ms={tx.timestampMs} ctx={ctx} />],
                ] as Array<[string, ComponentChildren]>)
              : ([['Received', <Time ms={tx.receivedAtMs} ctx={ctx} />]] as Array<
                  [string, ComponentChildren]
                >)),
            ['From', <AddressLink address={tx.from} full />],
            ['To', <AddressLink address={tx.to} full />],
            ['Value', <Amount wei={tx.value} ctx={ctx} />],
            tx.status === 'committed'
              ? ['Fee', <Amount wei={tx.receipt.fee} ctx={ctx} />]
              : [
                  'Fee',
                  <>
                    <span class="muted">at most</span>{' '}
                    <Amount wei={(BigInt(tx.gasLimit) * BigInt(tx.maxFeePerGas)).toString()} ctx={ctx} />
                  </>,
                ],
            ...(tx.status === 'committed'
              ? ([
                  ['Gas used', formatInteger(tx.receipt.gasUsed)],
                  ['Gas price paid', <Amount wei={tx.receipt.effectiveGasPrice} ctx={ctx} />],
                ] as Array<[string, ComponentChildren]>)
              : []),
            ['Nonce', formatInteger(tx.nonce)],
            ['Gas limit', formatInteger(tx.gasLimit)],
            ['Max fee per gas', <Amount wei={tx.maxFeePerGas} ctx={ctx} />],
            ['Max priority fee per gas', <Amount wei={tx.maxPriorityFeePerGas} ctx={ctx} />],
          ]}
        />
      </Card>
      {tx.status === 'committed' && (
        <Card title="Finality">
          {block?.qc ? (
            <>
              <p>
                Block #{formatInteger(tx.height)} is certified by this quorum certificate. A committed block
                is final: it is never reverted, so there are no confirmations to count.
              </p>
              <QcRow qc={block.qc} />
            </>
          ) : (
            <p class="muted">
              Block #{formatInteger(tx.height)} is committed, hence final; the certificate that names it
              arrives with its child block.
            </p>
          )}
        </Card>
      )}
    </Layout>
  );
}

function FinalBanner({ tx }: { tx: CommittedTx }) {
  return (
    <div class="banner banner-final" role="status">
      <span class="badge badge-final">Final</span> Committed in block{' '}
      <a href={blockHref(tx.height)}>#{formatInteger(tx.height)}</a>
    </div>
  );
}

function PendingBanner({ tx, ctx }: { tx: PendingTx; ctx: RenderContext }) {
  return (
    <div class="banner banner-pending" role="status">
      {tx.queued ? (
        <>
          <span class="badge badge-queued">Queued</span> In this node's mempool, waiting for an earlier nonce
          of the sender
        </>
      ) : (
        <>
          <span class="badge badge-pending">Pending</span> In this node's mempool, waiting for a block
        </>
      )}{' '}
      <span class="muted small">
        (received <Time ms={tx.receivedAtMs} ctx={ctx} />)
      </span>
    </div>
  );
}
