import { InvalidConfigError, type AccountConfig, type ClockV1, type ConfigIssue } from '@tokens/core';
import { createAdapter } from './adapters';
import { createAlertChannel } from './alert-channels';
import { RESERVED_ACCOUNT_KEYS, type AccountFileConfig, type DaemonConfig } from './config/schema';
import { createTokenSink, type TokenSink } from './token-sinks';
import { escalationLevels } from './config/escalation';

export { escalationLevels };

export interface BuiltAccount {
  config: AccountFileConfig;
  manager: AccountConfig;
  sinks: TokenSink[];
}

/** The broker's own settings: everything on the account that the daemon does not own. */
export function brokerSettings(account: AccountFileConfig): Record<string, unknown> {
  const reserved = new Set<string>(RESERVED_ACCOUNT_KEYS);
  return Object.fromEntries(Object.entries(account).filter(([k]) => !reserved.has(k)));
}

/**
 * Turns the config's accounts into manager accounts, adapters and sinks. Every account is
 * validated before any is used, and all problems are reported together.
 */
export function buildAccounts(config: DaemonConfig, clock: ClockV1, fetchImpl?: typeof fetch): Map<string, BuiltAccount> {
  const out = new Map<string, BuiltAccount>();
  const issues: ConfigIssue[] = [];
  for (const [id, account] of Object.entries(config.accounts)) {
    if (!account.enabled) continue;
    try {
      const adapter = createAdapter(id, account.broker, brokerSettings(account), fetchImpl);
      const managerConfig: AccountConfig = {
        id,
        adapter,
        ...(account.label ? { label: account.label } : {}),
        ...(account.schedule ? { schedule: account.schedule } : {}),
        ...(account.market ? { market: account.market } : {}),
        ...(account.escalation ? { escalation: escalationLevels(account.escalation) } : {}),
        ...(account.validateEvery ? { validateEveryMs: account.validateEvery } : {}),
        ...(account.refreshAhead
          ? {
              refreshAhead: {
                ...(account.refreshAhead.ratio !== undefined ? { ratio: account.refreshAhead.ratio } : {}),
                ...(account.refreshAhead.jitter !== undefined ? { jitter: account.refreshAhead.jitter } : {}),
                ...(account.refreshAhead.minMargin !== undefined ? { minMarginMs: account.refreshAhead.minMargin } : {}),
              },
            }
          : {}),
        ...(account.alerts ? { alerts: account.alerts.map((a) => createAlertChannel(a, clock, fetchImpl)) } : {}),
      };
      out.set(id, { config: account, manager: managerConfig, sinks: account.sinks.map(createTokenSink) });
    } catch (error) {
      if (InvalidConfigError.isInstance(error)) issues.push(...error.issues);
      else issues.push({ path: `accounts.${id}`, message: error instanceof Error ? error.message : 'could not be set up' });
    }
  }
  if (issues.length > 0) throw new InvalidConfigError({ issues });
  return out;
}
