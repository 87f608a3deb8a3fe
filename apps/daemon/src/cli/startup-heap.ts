import { setFlagsFromString } from 'node:v8';

/*
 * V8 heap settings for `tokens start`, in one place. A flag the user passed to node is theirs:
 * we never override it.
 *
 * While starting (loading modules, the config, the store) the daemon keeps most of what it
 * allocates. By default V8 then doubles the young generation at each scavenge, up to 32 MB,
 * and gives the pages back only when its memory reducer runs ~8 s after the last burst (idle
 * RSS stood ~10 MB higher for those seconds); and with the 20 % old-generation growth the
 * daemon runs with, a 10,000-account start (~100 MB live) took a dozen full GCs, a third of
 * its 1.7 s. So until ready: young generation held at its start size, old one grown 50 % at a
 * time. Afterwards: V8's default young-generation growth, and 20 % for the old generation,
 * which keeps a 24/7 daemon near its live size (590 → ~210 MB at 10,000 accounts) for a few
 * percent of throughput.
 */

const own = (flag: string) => process.execArgv.some((a) => a.startsWith(flag));
const YOUNG = '--semi-space-growth-factor';
const OLD = '--heap-growing-percent';

/** Called by the bin before the daemon's modules load (they are most of startup's allocations). */
export function holdYoungGeneration(): void {
  if (!own(YOUNG)) setFlagsFromString(`${YOUNG}=1`);
}

/** Called when `tokens start` begins reading its config. */
export function startupOldGeneration(): void {
  if (!own(OLD)) setFlagsFromString(`${OLD}=50`);
}

/** Called once the daemon is ready. */
export function runningHeap(): void {
  if (!own(YOUNG)) setFlagsFromString(`${YOUNG}=2`); // V8's default
  if (!own(OLD)) setFlagsFromString(`${OLD}=20`);
}
