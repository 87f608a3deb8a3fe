import { InvalidInputError } from './errors';

const ACCOUNT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Account ids become file names and Redis keys, so they are restricted to
 * `[A-Za-z0-9._-]`, 1–128 characters, and may not be `.` or `..`.
 */
export function assertAccountId(accountId: unknown): asserts accountId is string {
  if (typeof accountId !== 'string' || accountId.length === 0) {
    throw new InvalidInputError({
      code: 'INVALID_ACCOUNT_ID',
      field: 'accountId',
      message: 'Account id is empty. Use 1–128 characters from A-Z, a-z, 0-9, ".", "_" and "-", e.g. "schwab-main".',
    });
  }
  if (accountId.length > 128) {
    throw new InvalidInputError({
      code: 'INVALID_ACCOUNT_ID',
      field: 'accountId',
      message: `Account id is ${accountId.length} characters long; the limit is 128.`,
    });
  }
  if (!ACCOUNT_ID.test(accountId) || accountId === '.' || accountId === '..') {
    throw new InvalidInputError({
      code: 'INVALID_ACCOUNT_ID',
      field: 'accountId',
      message: `Account id ${JSON.stringify(accountId.slice(0, 40))} is invalid: use only A-Z, a-z, 0-9, ".", "_" and "-" (no slashes or spaces), and not "." or "..".`,
    });
  }
}

export function isValidAccountId(accountId: unknown): accountId is string {
  return typeof accountId === 'string' && ACCOUNT_ID.test(accountId) && accountId !== '.' && accountId !== '..';
}
