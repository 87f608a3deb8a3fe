import { runReadmeExample } from '@tokens/test-suite';
import { expect, inject, it } from 'vitest';
import { uniquePrefix } from './helpers/clients';

// The README's example must run as written (against the test Redis, under a fresh prefix).
it('the README example runs: two managers, one broker call, the same token', async () => {
  const saved = process.env.REDIS_URL;
  process.env.REDIS_URL = inject('redisUrl');
  try {
    const { logs } = await runReadmeExample(__dirname, (file) => import(file), {
      transform: (code) => code.replaceAll("'tokens:example'", `'${uniquePrefix('readme')}'`),
    });
    expect(logs.at(-1)).toEqual([true, 1]);
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  }
});
