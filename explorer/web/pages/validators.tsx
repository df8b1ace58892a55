/** Validators: activity over a recent window of blocks, and the evidence this node holds. */
import type { EvidenceView, ValidatorsView } from '../../server/index.js';
import { AddressLink, Card, Layout, type RenderContext, ShareBar, Time } from '../components.js';
import { formatInteger, formatPercent, shortHash } from '../format.js';

export function ValidatorsPage({
  ctx,
  view,
  evidence,
}: {
  ctx: RenderContext;
  view: ValidatorsView;
  evidence: EvidenceView[];
}) {
  const { window } = view;
  return (
    <Layout ctx={ctx} title="Validators">
      <div class="page-head">
        <h1>Validators</h1>
      </div>
      <p class="muted">
        {window.blocks > 0
          ? `Over the last ${formatInteger(window.blocks)} committed blocks (#${formatInteger(window.fromHeight)} to #${formatInteger(window.toHeight)}). `
          : 'No committed blocks yet. '}
        A certificate needs voting power {view.quorum}, so a healthy validator is often not in a given QC: the
        QC share is not an uptime. Uptime counts the proposals, votes and timeouts this node saw each
        validator send when it had the chance.
      </p>
      <Card title={`${view.validators.length} validators`}>
        <div class="table-scroll">
          <table class="table validators stack">
            <thead>
              <tr>
                <th>Validator</th>
                <th class="num">Power</th>
                <th>Uptime</th>
                <th class="num">Proposed</th>
                <th class="num">Missed</th>
                <th>QC share</th>
                <th class="num">Evidence</th>
              </tr>
            </thead>
            <tbody>
              {view.validators.map((v) => (
                <tr key={v.index}>
                  <td data-label="Validator">
                    <div class="strong">
                      {v.index}. {v.name}
                    </div>
                    <AddressLink address={v.address} />
                    <div class="muted small mono" title={v.peerId}>
                      {shortHash(v.peerId, 10, 6)}
                    </div>
                  </td>
                  <td class="num" data-label="Power">
                    {v.power}
                  </td>
                  <td data-label="Uptime">
                    <ShareBar share={v.uptime} label={v.uptime === null ? '' : formatPercent(v.uptime)} />
                  </td>
                  <td class="num" data-label="Proposed">
                    {formatInteger(v.proposals.made)}
                  </td>
                  <td class="num" data-label="Missed">
                    {v.proposals.missed > 0 ? (
                      <span class="warn">{formatInteger(v.proposals.missed)}</span>
                    ) : (
                      '0'
                    )}
                  </td>
                  <td data-label="QC share">
                    <ShareBar share={v.qcShare} label={formatPercent(v.qcShare)} />
                  </td>
                  <td class="num" data-label="Evidence">
                    {v.evidence > 0 ? <span class="badge badge-bad">{v.evidence}</span> : '0'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card title="Equivocation evidence">
        {evidence.length === 0 ? (
          <p class="muted empty">
            This node holds no evidence of a validator signing two conflicting messages.
          </p>
        ) : (
          <ul class="evidence">
            {evidence.map((e) => (
              <li key={`${e.validator}-${e.kind}-${e.round}`}>
                <span class="badge badge-bad">{e.kind === 'proposal' ? 'Two proposals' : 'Two votes'}</span>{' '}
                <strong>{e.name}</strong> (validator {e.validator}) in round {formatInteger(e.round)},
                recorded <Time ms={e.recordedAtMs} ctx={ctx} />
                <details>
                  <summary>Both signed messages</summary>
                  <p class="mono break small">{e.first}</p>
                  <p class="mono break small">{e.second}</p>
                </details>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </Layout>
  );
}
