/**
 * A cap on broker calls in flight across all accounts of one manager. Without it, 10,000
 * tokens that expire together (a broker-wide rollover, a restart after an outage) would open
 * 10,000 requests at once and trip the broker's rate limit. Refreshes a caller is waiting for
 * (a bot's getAccessToken, an auth error, a manual refresh) go ahead of scheduled ones.
 */
export interface RefreshSlots {
  /** Queues for a slot; `ready` resolves with the release function, or rejects when `signal` aborts. */
  request(urgent: boolean, signal: AbortSignal): RefreshTicket;
  readonly active: number;
  readonly queued: number;
  readonly limit: number;
}

export interface RefreshTicket {
  ready: Promise<() => void>;
  /** A caller now waits on this refresh: move it to the urgent queue. No-op once granted. */
  promote(): void;
}

interface Waiter {
  grant(): void;
  urgent: boolean;
}

export function createRefreshSlots(limit: number): RefreshSlots {
  let active = 0;
  const queues = { urgent: [] as Waiter[], background: [] as Waiter[] };
  const queueOf = (w: Waiter) => (w.urgent ? queues.urgent : queues.background);
  const leave = (w: Waiter) => {
    const list = queueOf(w);
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    return i >= 0;
  };

  const releaser = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = queues.urgent.shift() ?? queues.background.shift();
      if (next) next.grant(); // the slot passes straight to the next waiter
      else active--;
    };
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return queues.urgent.length + queues.background.length;
    },
    limit,
    request(urgent, signal) {
      if (signal.aborted) return { ready: Promise.reject(signal.reason), promote() {} };
      if (active < limit) {
        active++;
        return { ready: Promise.resolve(releaser()), promote() {} };
      }
      let waiter!: Waiter;
      const ready = new Promise<() => void>((resolve, reject) => {
        const onAbort = () => {
          leave(waiter);
          reject(signal.reason);
        };
        waiter = {
          urgent,
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            resolve(releaser());
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queueOf(waiter).push(waiter);
      });
      return {
        ready,
        promote() {
          if (waiter.urgent || !leave(waiter)) return;
          waiter.urgent = true;
          queues.urgent.push(waiter);
        },
      };
    },
  };
}
