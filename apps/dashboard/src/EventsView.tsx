import { useState } from 'react';
import { eventSummary, eventTone, filterEvents, formatClock } from './format';
import { EVENT_TYPES, type AccountView, type DaemonEvent, type EventType } from './types';

const TYPE_LABELS: Record<EventType, string> = { token: 'Token', state: 'State', alert: 'Alert', sink: 'Sink' };
const MAX_SHOWN = 300;

/** The daemon's event stream, newest first. Events carry ids, states and codes, never a token. */
export function EventsView({ events, accounts }: { events: DaemonEvent[]; accounts: AccountView[] }) {
  const [types, setTypes] = useState<EventType[]>([...EVENT_TYPES]);
  const [account, setAccount] = useState('');
  const [text, setText] = useState('');
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const shown = filterEvents(events, { types, account, text }, zone);
  const ids = [...new Set([...accounts.map((a) => a.accountId), ...events.flatMap((e) => (e.accountId ? [e.accountId] : []))])].sort();

  const toggle = (t: EventType) => setTypes((list) => (list.includes(t) ? list.filter((x) => x !== t) : [...list, t]));

  return (
    <section aria-labelledby="events-title">
      <div className="toolbar">
        <h2 id="events-title">Events</h2>
        <p className="summary" aria-live="polite">
          {shown.length === events.length ? `${events.length} events` : `${shown.length} of ${events.length} events`}
        </p>
      </div>
      <form className="filters events-filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter events">
        <fieldset>
          <legend>Types</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} className="inline">
              <input type="checkbox" checked={types.includes(t)} onChange={() => toggle(t)} /> {TYPE_LABELS[t]}
            </label>
          ))}
        </fieldset>
        <label>
          Account{' '}
          <select value={account} onChange={(e) => setAccount(e.target.value)}>
            <option value="">All accounts</option>
            {ids.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="code, state, sink…" />
        </label>
      </form>
      {shown.length === 0 ? (
        <p className="muted">{events.length === 0 ? 'No events yet. Refreshes, logins, state changes, alerts and deliveries show up here as they happen.' : 'No event matches this filter.'}</p>
      ) : (
        <ol className="events" aria-label="Events, newest first">
          {shown.slice(0, MAX_SHOWN).map((e) => (
            <li key={e.id} className={`event edge-${eventTone(e)}`} data-id={e.id} data-type={e.type} data-account={e.accountId ?? ''}>
              <time dateTime={new Date(e.at).toISOString()}>{formatClock(e.at, zone)}</time>
              <span className={`tag tag-${e.type}`}>{TYPE_LABELS[e.type] ?? e.type}</span>
              {e.accountId && <span className="event-account">{e.accountId}</span>}
              <span className="event-text">{eventSummary(e, zone)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
