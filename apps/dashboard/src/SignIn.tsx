import { useState, type FormEvent } from 'react';
import { errorText, type Api } from './api';

/** The only page served without a session: the daemon's API token, or the dashboard password. */
export function SignIn({ api, notice, onSignedIn }: { api: Api; notice: string | undefined; onSignedIn: () => void }) {
  const [kind, setKind] = useState<'token' | 'password'>('token');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!secret) return setError(kind === 'token' ? 'Enter the API token.' : 'Enter the password.');
    setBusy(true);
    setError(undefined);
    try {
      await api.signIn(kind, secret);
      setSecret('');
      onSignedIn();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <main className="center">
      <form className="signin" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <h1 id="signin-title">Sign in to tokens</h1>
        {notice && <p className="notice">{notice}</p>}
        <fieldset>
          <legend>Sign in with</legend>
          <label className="inline">
            <input type="radio" name="kind" checked={kind === 'token'} onChange={() => setKind('token')} /> API token
          </label>
          <label className="inline">
            <input type="radio" name="kind" checked={kind === 'password'} onChange={() => setKind('password')} /> Dashboard password
          </label>
        </fieldset>
        <label htmlFor="secret">{kind === 'token' ? 'API token' : 'Password'}</label>
        <input
          id="secret"
          name="secret"
          type="password"
          autoComplete={kind === 'token' ? 'off' : 'current-password'}
          autoFocus
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : 'signin-help'}
        />
        <p id="signin-help" className="help">
          {kind === 'token' ? (
            <>
              The API token is in the daemon's state folder (<code>api-token</code>) or in <code>http.apiToken</code>.
            </>
          ) : (
            <>
              Set with <code>http.dashboardPassword</code> in the config.
            </>
          )}
        </p>
        {error && (
          <p id="signin-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
