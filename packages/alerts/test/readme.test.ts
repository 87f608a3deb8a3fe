import { runReadmeExample } from '@tokens/test-suite';
import { expect, it } from 'vitest';

// The README's example must run as written.
it('the README example runs: Telegram gets the alert with a working one-tap link, the log file too', async () => {
  const { logs } = await runReadmeExample(__dirname, (file) => import(file));
  expect(logs).toEqual([['<b>🔑 kite-main (kite): human login needed</b>', '/login/kite-main', true], ['login_required']]);
});
