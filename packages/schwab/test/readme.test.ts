import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written.
it('the README example runs: first login, a token, an API call through withToken', async () => {
  const { logs } = await runReadmeExample(__dirname, (file) => import(file));
  expect(logs.at(-1)).toEqual(['valid', 1, expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)]);
});
