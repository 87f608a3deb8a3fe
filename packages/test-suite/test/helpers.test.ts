import { it } from 'vitest';
import { Secret, TokensError } from '@tokens/core';
import { canaryCheck, makeTokenSet, randomAccountId } from '../src/index';

it('randomAccountId() returns distinct valid ids of the form acct-<random>', ({ expect }) => {
  const ids = new Set(Array.from({ length: 100 }, randomAccountId));
  expect(ids.size).toBe(100);
  for (const id of ids) expect(id).toMatch(/^acct-[0-9a-f]{12}$/);
});

it('makeTokenSet() fills every field with Secrets that redact', ({ expect }) => {
  const t = makeTokenSet(5_000);
  expect(t.issuedAt).toBe(5_000);
  expect(t.expiresAt).toBeGreaterThan(5_000);
  expect(t.refreshExpiresAt).toBeGreaterThan(t.expiresAt);
  expect(Secret.isInstance(t.accessToken)).toBe(true);
  expect(Secret.isInstance(t.secretExtras?.idToken)).toBe(true);
  expect(canaryCheck([t.accessToken.reveal(), t.refreshToken!.reveal()], t)).toEqual([]);
});

it('canaryCheck() finds canaries in JSON, inspect, String, messages and causes', ({ expect }) => {
  const canary = 'canary-0123456789abcdef';
  expect(canaryCheck([canary], { nested: { deep: { value: canary } } })[0]).toMatchObject({ canary, output: 0, via: 'json' });
  expect(canaryCheck([canary], 'clean', `token=${canary}`)).toEqual([{ canary, output: 1, via: 'string' }]);
  const wrapped = new TokensError({ message: 'safe', code: 'X', cause: new Error(`upstream said ${canary}`) });
  expect(canaryCheck([canary], wrapped)).toHaveLength(1);
  expect(canaryCheck([canary], new Map([['k', canary]]))[0]?.via).toBe('inspect');
  expect(canaryCheck(['', canary], 'nothing here')).toEqual([]);
});

it('canaryCheck() survives circular structures and throwing getters', ({ expect }) => {
  const canary = 'canary-fedcba9876543210';
  const circular: Record<string, unknown> = { canary };
  circular.self = circular;
  expect(canaryCheck([canary], circular)).toHaveLength(1);
});
