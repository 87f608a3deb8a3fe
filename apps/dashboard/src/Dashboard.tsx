import { useEffect, useState } from 'react';
import { errorText, type Api } from './api';
import type { LoginReturn } from './App';
import { EventsView } from './EventsView';
import { MarketStrip } from './MarketStrip';
import { Overview } from './Overview';
import { useLiveData, useNow, type Connection } from './useLiveData';

type View = 'overview' | 'events';

const viewOf = (hash: string): View => (hash === '#events' ? 'events' : 'overview');

function useHashView(): View {
  const [view, setView] = useState<View>(() => viewOf(window.location.hash));
  useEffect(() => {
    const on = () => setView(viewOf(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return view;
}

const CONNECTION: Record<Connection, string> = { live: 'Live', connecting: 'Connecting…', lost: 'Disconnected: retrying' };

export function Dashboard(props: { api: Api; loginReturn: LoginReturn | undefined; onDismissLoginReturn: () => void; onSignedOut: () => void }) {
  const { api, loginReturn } = props;
  const live = useLiveData(api);
  const now = useNow(1000);
  const view = useHashView();
  const [signOutError, setSignOutError] = useState<string | undefined>();

  const signOut = async () => {
    try {
      await api.signOut();
      props.onSignedOut();
    } catch (error) {
      setSignOutError(errorText(error));
    }
  };

  const returned = loginReturn?.account ? live.accounts?.find((a) => a.accountId === loginReturn.account) : undefined;

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <h1>tokens</h1>
        <span className={`conn conn-${live.connection}`} role="status">
          <span className="sr-only">Live updates: </span>
          {CONNECTION[live.connection]}
        </span>
        <nav aria-label="Views">
          <a href="#overview" aria-current={view === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href="#events" aria-current={view === 'events' ? 'page' : undefined}>
            Events
          </a>
        </nav>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {signOutError && (
        <p className="banner tone-bad" role="alert">
          Could not sign out: {signOutError}
        </p>
      )}
      {loginReturn && (
        <div className={`banner ${loginReturn.ok ? 'tone-ok' : 'tone-bad'}`} role="status">
          <span>
            {loginReturn.ok
              ? `${loginReturn.account ?? 'The account'}: logged in${returned ? `; the account is now ${returned.state === 'valid' ? 'valid' : returned.state.replace('_', ' ')}` : ''}.`
              : `The login for ${loginReturn.account ?? 'the account'} did not complete. Try again.`}
          </span>
          <button type="button" className="link" onClick={props.onDismissLoginReturn} aria-label="Dismiss this message">
            Dismiss
          </button>
        </div>
      )}
      <MarketStrip market={live.market} now={now} />
      <main id="main" tabIndex={-1}>
        {view === 'events' ? (
          <EventsView events={live.events} accounts={live.accounts ?? []} />
        ) : (
          <Overview api={api} accounts={live.accounts} loadError={live.loadError} now={now} reload={live.reload} />
        )}
      </main>
    </>
  );
}
