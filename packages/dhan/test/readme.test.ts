import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written (vitest.config.ts maps @tokens/dhan and
// @tokens/dhan/fake to the sources).
it('the README example runs against the fake and prints the account state', async () => {
  const { logs, readme } = await runReadmeExample(__dirname, (file) => import(file));
  expect(logs[0]![0]).toMatch(/^token valid until \d\d\/\d\d\/\d{4} \d\d:\d\d IST$/);
  expect(logs.at(-1)).toEqual(['valid', { expiresInHours: 24, renewsInHours: 18 }]);
  expect(readme).toContain('It prints `valid { expiresInHours: 24, renewsInHours: 18 }`.');
});
