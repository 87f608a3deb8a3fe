import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written, against the fake it starts.
it('the README example logs in through the fake, calls the profile with the token and prints the state', async () => {
  const { logs } = await runReadmeExample(__dirname, (file) => import(file));
  expect(logs.at(-1)).toEqual(['valid', 'ok']);
});
