import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReadmeExampleRun {
  /** The README's text. */
  readme: string;
  /** The code that ran. */
  example: string;
  /** Every `console.log` call the example made, in order. */
  logs: unknown[][];
}

/**
 * Runs the first ```ts block under "## Example" of `<testDir>/../README.md`, as written, and
 * returns what it printed: READMEs that cannot drift from the code. The example is written
 * next to the test so the test runner's aliases apply; `load` must be the test's own
 * `(file) => import(file)`, so the runner transforms it.
 */
export async function runReadmeExample(
  testDir: string,
  load: (file: string) => Promise<unknown>,
  options: { transform?: (code: string) => string } = {},
): Promise<ReadmeExampleRun> {
  const readme = readFileSync(join(testDir, '..', 'README.md'), 'utf8');
  const found = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (found === undefined) throw new Error('The README has no ```ts block under "## Example".');
  const example = options.transform ? options.transform(found) : found;
  const file = join(testDir, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, example);
  const logs: unknown[][] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void logs.push(args);
  try {
    await load(file);
  } finally {
    console.log = original;
    rmSync(file, { force: true });
  }
  return { readme, example, logs };
}
