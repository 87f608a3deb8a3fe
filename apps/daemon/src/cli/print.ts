import { formatInZone, IST } from '@tokens/core';

type Row = { accountId: string; broker: string; state: string; expiresAt?: number; nextRefreshAt?: number; humanDeadline?: { at: number }; lastError?: { code: string } };

const when = (ms?: number) => (ms === undefined ? '-' : formatInZone(ms, IST));

/** A plain table for humans; `--json` gives the full objects. */
export function printStatus(rows: Row[], source: string): void {
  const header = ['ACCOUNT', 'BROKER', 'STATE', 'EXPIRES', 'NEXT REFRESH', 'LOG IN BEFORE', 'LAST ERROR'];
  const lines = rows.map((r) => [r.accountId, r.broker, r.state, when(r.expiresAt), when(r.nextRefreshAt), when(r.humanDeadline?.at), r.lastError?.code ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[fmt(header), ...lines.map(fmt)].join('\n')}\n(${source})\n`);
}
