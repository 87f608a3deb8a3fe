import type { Api } from './api';
import { AccountActions } from './AccountActions';
import {
  brokerName,
  countdown,
  DEADLINE_REASONS,
  deadlineSentence,
  formatWhen,
  lastRefreshText,
  nextRefreshText,
  relative,
  sinkText,
  stateHint,
  stateLabel,
  stateTone,
  zoneFor,
} from './format';
import type { AccountView } from './types';

/** Everything about one account a human needs at 08:55: is it alive, until when, what to do. */
export function AccountCard({ api, account: a, now, reload }: { api: Api; account: AccountView; now: number; reload: (id: string) => Promise<AccountView> }) {
  const id = a.accountId;
  const titleId = `account-${id}`;
  const tone = stateTone(a.state);
  const expiry = countdown(a.expiresAt, now);
  const deadline = deadlineSentence(a, now);
  const last = lastRefreshText(a, now);
  const zone = zoneFor(a.broker);
  const sinks = a.sinks ?? [];

  return (
    <article className={`card edge-${tone}`} aria-labelledby={titleId} data-account={id} data-state={a.state}>
      <header className="card-head">
        <h3 id={titleId}>{a.label ?? id}</h3>
        <span className={`pill tone-${tone}`} data-role="state">
          <span aria-hidden="true" className="dot" />
          <span className="sr-only">State: </span>
          {stateLabel(a.state)}
        </span>
      </header>
      <p className="sub">
        <span className="broker">{brokerName(a.broker)}</span>
        {a.label && <span className="muted"> · {id}</span>}
        <span className="muted"> · {stateHint(a.state)}</span>
      </p>
      <p className={`deadline tone-text-${deadline.tone}`} data-role="deadline" title={a.humanDeadline ? `Why: ${DEADLINE_REASONS[a.humanDeadline.reason] ?? a.humanDeadline.reason}` : undefined}>
        {deadline.text}
      </p>
      <dl className="facts">
        <dt>Access token</dt>
        <dd data-role="expiry">
          <span className={`tone-text-${expiry.tone}`}>{expiry.text}</span>
          {a.expiresAt !== undefined && <span className="muted"> ({formatWhen(a.expiresAt, zone, now)})</span>}
          {a.version !== undefined && (
            <span className="muted" data-role="version">
              {' '}
              · v{a.version}
            </span>
          )}
        </dd>
        <dt>Next refresh</dt>
        <dd data-role="next-refresh">{nextRefreshText(a, now)}</dd>
        <dt>Last refresh</dt>
        <dd data-role="last-refresh">
          <span className={`tone-text-${last.tone}`}>{last.text}</span>
          {last.error && (
            <span className="error-detail" data-role="last-error">
              <code>{last.error.code}</code> {last.error.message}
            </span>
          )}
        </dd>
        {a.lastValidation && (
          <>
            <dt>Last check</dt>
            <dd data-role="last-check">
              <span className={a.lastValidation.valid ? 'tone-text-ok' : 'tone-text-bad'}>{a.lastValidation.valid ? 'broker accepted the token' : `rejected${a.lastValidation.reason ? `: ${a.lastValidation.reason}` : ''}`}</span>{' '}
              <span className="muted">{relative(a.lastValidation.at, now)}</span>
            </dd>
          </>
        )}
        <dt>Sinks</dt>
        <dd data-role="sinks">
          {sinks.length === 0 ? (
            <span className="muted">none configured</span>
          ) : (
            <ul className="sinks">
              {sinks.map((s) => {
                const t = sinkText(s, now);
                return (
                  <li key={s.name}>
                    <span className="sink-name">{s.name}</span> <span className={`tone-text-${t.tone}`}>{t.text}</span>{' '}
                    <span className="muted">
                      ({s.delivered} ok, {s.failed} failed)
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
        </dd>
      </dl>
      <AccountActions api={api} account={a} reload={reload} />
    </article>
  );
}
