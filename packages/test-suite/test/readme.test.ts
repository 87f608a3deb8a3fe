import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { readmeRegistered } from './support/readme-it';

// The README's first ```ts example (the quick start) runs as written, with two substitutions: the
// package import points at the source, and `it` records what the example registers.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const IMPORT_IT = "import { it } from 'vitest';";
const FROM_SUITE = "from '@tokens/test-suite'";
const runnable = example
  .replace(IMPORT_IT, "import { readmeIt as it } from './support/readme-it';")
  .replace(FROM_SUITE, "from '../src/index'");

const file = join(__dirname, `.readme-example-${process.pid}.ts`);
writeFileSync(file, runnable);
try {
  await import(file); // registers the example's tests in this file, tagged [README]
} finally {
  rmSync(file, { force: true });
}

it('the README quick start imports `it` from vitest and the suites from @tokens/test-suite', ({ expect }) => {
  expect(example).toContain(IMPORT_IT);
  expect(example).toContain(FROM_SUITE);
});

it('the README quick start registers the whole token store and lock suites', ({ expect }) => {
  expect(readmeRegistered.filter((n) => n.startsWith('store.')).length).toBeGreaterThan(20);
  expect(readmeRegistered.filter((n) => n.startsWith('lock.')).length).toBeGreaterThan(10);
  expect(readmeRegistered.every((n) => /^(store|lock)\./.test(n)), readmeRegistered.join('\n')).toBe(true);
});
