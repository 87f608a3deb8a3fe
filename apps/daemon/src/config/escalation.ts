import type { EscalationLevel } from '@tokens/core';

/** Offsets before the human deadline → levels: the earliest is info, the last critical, the rest warnings. */
export function escalationLevels(offsets: number[]): EscalationLevel[] {
  const sorted = [...offsets].sort((a, b) => b - a);
  return sorted.map((beforeMs, i) => ({
    beforeMs,
    severity: i === sorted.length - 1 && sorted.length > 1 ? 'critical' : i === 0 ? 'info' : 'warning',
  }));
}
