import { useId, useState, type FormEvent } from 'react';
import { errorText, type Api } from './api';
import { countdown, stateLabel, type Tone } from './format';
import type { AccountView } from './types';

type Busy = 'refresh' | 'validate' | 'login' | 'link' | 'paste';

const PROGRESS: Record<Busy, string> = {
  refresh: 'Refreshing…',
  validate: 'Asking the broker…',
  login: "Opening the broker's login page…",
  link: 'Getting a login link…',
  paste: 'Completing the login…',
};

/** Refresh now, Validate, Log in (browser redirect) and the headless paste login, each with progress and a result. */
export function AccountActions({ api, account: a, reload }: { api: Api; account: AccountView; reload: (id: string) => Promise<AccountView> }) {
  const id = a.accountId;
  const uid = useId();
  const [busy, setBusy] = useState<Busy | undefined>();
  const [result, setResult] = useState<{ tone: Tone; text: string } | undefined>();
  const [link, setLink] = useState<string | undefined>();
  const [pasted, setPasted] = useState('');
  const login = a.capabilities.interactiveLogin;

  async function run(kind: Busy, what: string, action: () => Promise<{ tone: Tone; text: string } | undefined>) {
    setBusy(kind);
    setResult(undefined);
    try {
      const r = await action();
      setResult(r);
    } catch (error) {
      setResult({ tone: 'bad', text: `${what} failed: ${errorText(error)}` });
    } finally {
      setBusy(undefined);
    }
  }

  // The action's own answer can be a moment early (still "refreshing"): show the account as it
  // settled, read back right after; the event stream keeps it current from there.
  const settled = (answer: AccountView) => reload(id).catch(() => answer);
  const summary = (v: AccountView) => `${stateLabel(v.state)}${v.version !== undefined ? `, token v${v.version}` : ''}, ${countdown(v.expiresAt, Date.now()).text}`;

  const refresh = () =>
    run('refresh', 'Refresh', async () => {
      const v = await settled(await api.refresh(id));
      return { tone: 'ok', text: `Refreshed: ${summary(v)}.` };
    });

  const validate = () =>
    run('validate', 'Validate', async () => {
      const r = await api.validate(id);
      const v = await settled(r.status);
      return r.result.valid
        ? { tone: 'ok', text: 'Valid: the broker accepted the token.' }
        : { tone: 'bad', text: `Not valid: ${r.result.reason ?? 'the broker rejected the token'}. State: ${stateLabel(v.state)}.` };
    });

  const startLogin = () =>
    run('login', 'Log in', async () => {
      const { url } = await api.startLogin(id);
      window.location.assign(url); // the broker's page; the daemon brings the browser back to `/?login=ok`
      return { tone: 'info', text: "Opening the broker's login page…" };
    });

  const getLink = () =>
    run('link', 'Getting a login link', async () => {
      const r = await api.startLogin(id);
      setLink(r.url);
      return undefined;
    });

  const complete = (event: FormEvent) => {
    event.preventDefault();
    if (!pasted.trim()) {
      setResult({ tone: 'bad', text: 'Paste the address the broker sent you to, or the request token.' });
      return;
    }
    void run('paste', 'Login', async () => {
      const v = await settled(await api.completeLogin(id, pasted.trim()));
      setPasted('');
      setLink(undefined);
      return { tone: 'ok', text: `Logged in: ${summary(v)}.` };
    });
  };

  const name = a.label ?? id;
  return (
    <div className="actions" aria-busy={busy ? true : undefined}>
      <div className="buttons">
        <button type="button" onClick={() => void refresh()} disabled={busy !== undefined} aria-label={`Refresh now: ${name}`}>
          {busy === 'refresh' ? 'Refreshing…' : 'Refresh now'}
        </button>
        {a.capabilities.validate && (
          <button type="button" onClick={() => void validate()} disabled={busy !== undefined} aria-label={`Validate: ${name}`}>
            {busy === 'validate' ? 'Validating…' : 'Validate'}
          </button>
        )}
        {login && (
          <button type="button" className={a.state === 'login_required' || a.state === 'expired' ? 'primary' : ''} onClick={() => void startLogin()} disabled={busy !== undefined} aria-label={`Log in: ${name}`}>
            {busy === 'login' ? 'Opening…' : 'Log in'}
          </button>
        )}
      </div>
      <p className={`result tone-text-${result?.tone ?? 'muted'}`} role="status" aria-live="polite" data-role="result">
        {busy ? <span className="spinner">{PROGRESS[busy]}</span> : result?.text}
      </p>
      {login && (
        <details className="paste">
          <summary>Log in from another device (paste)</summary>
          <ol>
            <li>
              <button type="button" onClick={() => void getLink()} disabled={busy !== undefined}>
                Get login link
              </button>
              {link && (
                <>
                  <label htmlFor={`${uid}-link`} className="block">
                    Open this on any device and log in:
                  </label>
                  <input id={`${uid}-link`} className="link-field" readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-role="login-link" />
                </>
              )}
            </li>
            <li>
              <form onSubmit={complete}>
                <label htmlFor={`${uid}-pasted`} className="block">
                  Paste the address the broker sent you to (or its request token). An error page there is fine.
                </label>
                <textarea id={`${uid}-pasted`} rows={2} value={pasted} onChange={(e) => setPasted(e.target.value)} spellCheck={false} autoComplete="off" autoCapitalize="off" />
                <button type="submit" disabled={busy !== undefined}>
                  {busy === 'paste' ? 'Completing…' : 'Complete login'}
                </button>
              </form>
            </li>
          </ol>
        </details>
      )}
    </div>
  );
}
