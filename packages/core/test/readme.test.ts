import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

// The README's example must run as written.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const work = mkdtempSync(join(tmpdir(), 'tokens-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('the README example runs and prints the account state', async () => {
  expect(example).toBeDefined();
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, example!.replaceAll("'./.tokens", `'${work}/.tokens`));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await import(file);
    expect(log.mock.calls.at(-1)).toEqual(['valid', { ok: true }]);
  } finally {
    log.mockRestore();
    rmSync(file, { force: true });
  }
});
