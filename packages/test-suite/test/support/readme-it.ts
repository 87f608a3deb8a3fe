import { it } from 'vitest';
import type { TestFunction } from '../../src/index';

/** Names the README example registered, in order. */
export const readmeRegistered: string[] = [];

/** Stands in for Vitest's `it` in the README example: records the name and tags the test. */
export const readmeIt: TestFunction = (name, fn) => {
  readmeRegistered.push(name);
  it(`[README] ${name}`, fn);
};
