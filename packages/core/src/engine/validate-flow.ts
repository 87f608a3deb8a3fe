import type { ValidateResultV1 } from '../contracts/broker-adapter';
import { toTokensError } from '../errors';
import type { AccountRuntime } from './account-runtime';

/** Probes the broker; a rejected token triggers a refresh, or a login request when only a human can renew. */
export async function validateAccount(a: AccountRuntime): Promise<ValidateResultV1> {
  const now = a.ctx.clock.now();
  const tokenSet = a.record?.tokenSet;
  a.nextValidateAt = a.validateEveryMs ? now + a.validateEveryMs : undefined;
  if (!tokenSet) return { valid: false, reason: 'no token stored' };
  let result: ValidateResultV1;
  if (a.adapter.doValidate) {
    try {
      result = await a.adapter.doValidate({ accountId: a.id, tokenSet, signal: a.abort.signal, now });
    } catch (raw) {
      throw toTokensError(raw);
    }
  } else {
    result = tokenSet.expiresAt > now ? { valid: true, reason: 'no probe available; judged by expiry' } : { valid: false, reason: 'expired' };
  }
  a.counters.validations++;
  a.lastValidation = { at: now, valid: result.valid, ...(result.reason ? { reason: result.reason } : {}) };
  if (!result.valid && a.record?.tokenSet === tokenSet) {
    a.invalidate();
    if (a.canRenewUnattended) await a.refresh('validate', { force: true }).catch(() => undefined);
    else {
      a.needsHuman = true;
      a.alert('login_required', 'critical', `${a.name}: broker rejected the session`, `The validity probe failed (${result.reason ?? 'rejected'}); a human login is needed.`, `${a.id}:login_required:${a.record.version}`, true);
    }
  }
  a.evaluate();
  return result;
}

