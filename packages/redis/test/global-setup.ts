// One redis-server for the whole run, on its own free port; stopped afterwards. Tests that
// restart Redis start their own (see redis-restart.test.ts).
import type { TestProject } from 'vitest/node';
import { startRedisServer } from './helpers/redis-server';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.destroy();
}
