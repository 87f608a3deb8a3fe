import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written (vitest.config.ts maps @tokens/kotak to src).
it('the README example logs in through the fake, reads limits and prints the account state', async () => {
  const { logs } = await runReadmeExample(__dirname, (file) => import(file));
  expect(logs.at(-1)).toEqual(['valid', { net: '19.409999999999997' }]);
});
