/** An account: balance, nonce and its paginated history (sent and received). */
import type { AccountView, CommittedTx, Page } from '../../server/index.js';
import { Amount, Card, Fields, Layout, Live, Pager, type RenderContext } from '../components.js';
import { checksummed, formatInteger } from '../format.js';
import { TxTable } from './blocks.js';

/** The name of the page's live part: its balance, nonce and pending transactions. */
export const ACCOUNT_LIVE = 'account';

export function AccountPage({
  ctx,
  account,
  history,
  first,
}: {
  ctx: RenderContext;
  account: AccountView;
  history: Page<CommittedTx>;
  first: boolean;
}) {
  const shown = checksummed(account.address);
  return (
    <Layout ctx={ctx} title={`Account ${shown.slice(0, 10)}`}>
      <div class="page-head">
        <h1>Account</h1>
      </div>
      <p class="mono break lead">{shown}</p>
      <Live ctx={ctx} name={ACCOUNT_LIVE}>
        <AccountOverview ctx={ctx} account={account} />
      </Live>
      <Card title="History">
        {history.items.length === 0 ? (
          <p class="muted empty">No committed transactions{first ? '' : ' further back'}.</p>
        ) : (
          <TxTable txs={history.items} ctx={ctx} showBlock perspective={account.address} />
        )}
        <Pager next={history.next} path={`/accounts/${shown}`} first={first} />
      </Card>
    </Layout>
  );
}

/**
 * What changes with every block and admission while the history below stays: rendered for
 * each request, around a history that may come from the page cache.
 */
export function AccountOverview({ ctx, account }: { ctx: RenderContext; account: AccountView }) {
  const pending = BigInt(account.pendingNonce) - BigInt(account.nonce);
  return (
    <>
      {!account.exists && (
        <div class="banner">This address has never been credited or debited on this chain.</div>
      )}
      <Card title="Overview">
        <Fields
          rows={[
            ['Balance', <Amount wei={account.balance} ctx={ctx} />],
            [
              'Nonce',
              <>
                {formatInteger(account.nonce)}{' '}
                <span class="muted small">(transactions sent and committed)</span>
              </>,
            ],
            [
              'Pending',
              pending > 0n
                ? `${formatInteger(pending.toString())} in the mempool (next nonce ${formatInteger(account.pendingNonce)})`
                : 'none in the mempool',
            ],
          ]}
        />
      </Card>
    </>
  );
}
