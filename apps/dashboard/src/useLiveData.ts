import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText, type Api } from './api';
import { EVENT_TYPES, type AccountView, type DaemonEvent, type TokenStatusView } from './types';

export type Connection = 'connecting' | 'live' | 'lost';

const MAX_EVENTS = 500;
/** Events for one account within this window cost one re-fetch. */
const COALESCE_MS = 60;
const RELIST_MS = 60_000;
const MARKET_MS = 30_000;
const RECONNECT_MS = 3_000;

/**
 * Accounts, market status and the event stream. Each `token`, `state` or `sink` event makes the
 * card of its account re-fetch (coalesced), so a change shows within a fraction of a second; a
 * full re-list runs every minute and after every reconnect in case events were missed.
 */
export function useLiveData(api: Api) {
  const [accounts, setAccounts] = useState<AccountView[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [market, setMarket] = useState<TokenStatusView | undefined>();
  const [events, setEvents] = useState<DaemonEvent[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  const seq = useRef(new Map<string, number>());
  const dirty = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** Re-reads one account and shows it, unless a newer read overtook this one. */
  const reload = useCallback(
    async (id: string): Promise<AccountView> => {
      const mine = (seq.current.get(id) ?? 0) + 1;
      seq.current.set(id, mine);
      const view = await api.account(id);
      if (seq.current.get(id) === mine) setAccounts((list) => (list ? list.map((a) => (a.accountId === id ? view : a)) : list));
      return view;
    },
    [api],
  );
  const refetch = useCallback((id: string) => reload(id).catch(() => undefined), [reload]); // the next event or re-list catches up

  const relist = useCallback(async () => {
    try {
      const list = await api.accounts();
      for (const a of list) seq.current.set(a.accountId, (seq.current.get(a.accountId) ?? 0) + 1);
      setAccounts(list);
      setLoadError(undefined);
    } catch (error) {
      setLoadError(errorText(error));
    }
  }, [api]);

  const loadMarket = useCallback(async () => {
    try {
      setMarket(await api.tokenStatus());
    } catch {
      // the strip keeps its last answer
    }
  }, [api]);

  useEffect(() => {
    void relist();
    void loadMarket();
    const a = setInterval(() => void relist(), RELIST_MS);
    const b = setInterval(() => void loadMarket(), MARKET_MS);
    return () => {
      clearInterval(a);
      clearInterval(b);
    };
  }, [relist, loadMarket]);

  useEffect(() => {
    let source: EventSource | undefined;
    let lastId = 0;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const onEvent = (message: MessageEvent<string>) => {
      let e: DaemonEvent;
      try {
        e = JSON.parse(message.data) as DaemonEvent;
      } catch {
        return;
      }
      lastId = Math.max(lastId, e.id);
      setEvents((list) => (list.some((x) => x.id === e.id) ? list : [e, ...list].slice(0, MAX_EVENTS)));
      if (!e.accountId || e.type === 'alert') return;
      const id = e.accountId;
      if (e.type === 'state' && e.to) {
        const to = e.to;
        setAccounts((list) => (list ? list.map((a) => (a.accountId === id ? { ...a, state: to } : a)) : list));
      }
      dirty.current.add(id);
      timer.current ??= setTimeout(() => {
        timer.current = undefined;
        const ids = [...dirty.current];
        dirty.current.clear();
        for (const x of ids) void refetch(x);
      }, COALESCE_MS);
    };

    const connect = () => {
      setConnection('connecting');
      source = new EventSource(lastId ? `/v1/events?since=${lastId}` : '/v1/events', { withCredentials: true });
      for (const type of EVENT_TYPES) source.addEventListener(type, onEvent as EventListener);
      source.onopen = () => {
        setConnection('live');
        void relist();
      };
      source.onerror = () => {
        // The browser retries by itself while the stream is only interrupted; a refused stream
        // (daemon restarted, session gone) is closed for good, so start a new one.
        if (source?.readyState === EventSource.CLOSED && !closed) {
          setConnection('lost');
          retry = setTimeout(connect, RECONNECT_MS);
        } else {
          setConnection('connecting');
        }
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(retry);
      clearTimeout(timer.current);
      timer.current = undefined;
      source?.close();
    };
  }, [refetch, relist]);

  return { accounts, loadError, market, events, connection, reload, relist };
}

/** The current time, ticking every `everyMs`: drives countdowns. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
