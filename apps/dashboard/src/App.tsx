import { useEffect, useMemo, useState } from 'react';
import { createApi, errorText } from './api';
import { Dashboard } from './Dashboard';
import { SignIn } from './SignIn';

export interface LoginReturn {
  ok: boolean;
  account?: string;
}

/** `/?login=ok&account=…`: where the daemon sends the browser after a broker login. Read once, then removed from the address bar. */
function takeLoginReturn(): LoginReturn | undefined {
  const params = new URLSearchParams(window.location.search);
  const login = params.get('login');
  if (!login) return undefined;
  window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  const account = params.get('account') ?? undefined;
  return { ok: login === 'ok', ...(account ? { account } : {}) };
}

/** Signed in → the dashboard; otherwise nothing but the sign-in form. */
export function App() {
  const [status, setStatus] = useState<'checking' | 'signed-out' | 'signed-in'>('checking');
  const [notice, setNotice] = useState<string | undefined>();
  const [loginReturn, setLoginReturn] = useState<LoginReturn | undefined>(takeLoginReturn);
  const api = useMemo(
    () =>
      createApi(() => {
        setStatus('signed-out');
        setNotice('Your session ended. Sign in again.');
      }),
    [],
  );

  useEffect(() => {
    api
      .session()
      .then((ok) => setStatus(ok ? 'signed-in' : 'signed-out'))
      .catch((error: unknown) => {
        setStatus('signed-out');
        setNotice(errorText(error));
      });
  }, [api]);

  if (status === 'checking') {
    return (
      <main className="center" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (status === 'signed-out') {
    return (
      <SignIn
        api={api}
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setStatus('signed-in');
        }}
      />
    );
  }
  return (
    <Dashboard
      api={api}
      loginReturn={loginReturn}
      onDismissLoginReturn={() => setLoginReturn(undefined)}
      onSignedOut={() => {
        setNotice('You are signed out.');
        setStatus('signed-out');
      }}
    />
  );
}
