import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written, against the fake it starts.
it('the README example runs and prints the account state', async () => {
  const { logs } = await runReadmeExample(__dirname, (file) => import(file));
  const last = logs.at(-1);
  expect(last?.[0]).toBe('valid');
  expect(last?.[1]).toEqual({ expiresAt: expect.stringMatching(/T00:30:00\.000Z$/), profileOk: true });
});
