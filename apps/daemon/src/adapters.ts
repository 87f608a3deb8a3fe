import { InvalidConfigError, type BrokerAdapterV1, type ConfigIssue } from '@tokens/core';
import { createDhan } from '@tokens/dhan';
import { createFyers } from '@tokens/fyers';
import { createKite } from '@tokens/kite';
import { createKotak } from '@tokens/kotak';
import { createSchwab } from '@tokens/schwab';
import type { BrokerName } from './config/schema';

type Factory = (settings: Record<string, unknown>) => BrokerAdapterV1;

const FACTORIES: Record<BrokerName, Factory> = {
  fyers: createFyers as unknown as Factory,
  kite: createKite as unknown as Factory,
  dhan: createDhan as unknown as Factory,
  schwab: createSchwab as unknown as Factory,
  kotak: createKotak as unknown as Factory,
};

/**
 * Builds a broker adapter from an account's settings. The broker package validates its own
 * settings; its field names are re-rooted under `accounts.<id>.` so errors point into the file.
 */
export function createAdapter(accountId: string, broker: BrokerName, settings: Record<string, unknown>, fetchImpl?: typeof fetch): BrokerAdapterV1 {
  try {
    return FACTORIES[broker](fetchImpl ? { ...settings, fetch: fetchImpl } : settings);
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) {
      const issues: ConfigIssue[] = error.issues.map((i) => ({
        path: `accounts.${accountId}.${i.path.replace(/^settings\.?/, '')}`.replace(/\.$/, ''),
        message: `${i.message}${/broker/.test(i.message) ? '' : ` (broker ${broker})`}`,
      }));
      throw new InvalidConfigError({ issues });
    }
    throw error;
  }
}
