import { useState } from 'react';
import type { Api } from './api';
import { AccountCard } from './AccountCard';
import { brokerName, filterAccounts, needsHuman, stateLabel } from './format';
import { ACCOUNT_STATES, type AccountView } from './types';

/** One card per account, with a filter by broker and by state. */
export function Overview(props: { api: Api; accounts: AccountView[] | undefined; loadError: string | undefined; now: number; reload: (id: string) => Promise<AccountView> }) {
  const { accounts, now } = props;
  const [broker, setBroker] = useState('');
  const [state, setState] = useState('');
  const brokers = [...new Set((accounts ?? []).map((a) => a.broker))].sort();
  const shown = filterAccounts(accounts ?? [], { broker, state });
  const waiting = (accounts ?? []).filter((a) => needsHuman(a, now)).length;

  return (
    <section aria-labelledby="accounts-title">
      <div className="toolbar">
        <h2 id="accounts-title">Accounts</h2>
        {accounts && (
          <p className="summary">
            {accounts.length} {accounts.length === 1 ? 'account' : 'accounts'}
            {waiting > 0 ? (
              <>
                {' · '}
                <strong className="tone-text-bad">{waiting} need{waiting === 1 ? 's' : ''} you</strong>
              </>
            ) : (
              ' · nothing needs you'
            )}
          </p>
        )}
        <div className="filters" role="group" aria-label="Filter accounts">
          <label>
            Broker{' '}
            <select value={broker} onChange={(e) => setBroker(e.target.value)}>
              <option value="">All brokers</option>
              {brokers.map((b) => (
                <option key={b} value={b}>
                  {brokerName(b)}
                </option>
              ))}
            </select>
          </label>
          <label>
            State{' '}
            <select value={state} onChange={(e) => setState(e.target.value)}>
              <option value="">All states</option>
              {ACCOUNT_STATES.map((s) => (
                <option key={s} value={s}>
                  {stateLabel(s)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {props.loadError && (
        <p className="banner tone-bad" role="alert">
          Could not load the accounts: {props.loadError}
        </p>
      )}
      {!accounts ? (
        <p aria-busy="true">Loading accounts…</p>
      ) : accounts.length === 0 ? (
        <p>No accounts are configured. Add one under <code>accounts:</code> in the daemon's config.</p>
      ) : shown.length === 0 ? (
        <p>No account matches this filter.</p>
      ) : (
        <ul className="cards">
          {shown.map((a) => (
            <li key={a.accountId}>
              <AccountCard api={props.api} account={a} now={now} reload={props.reload} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
