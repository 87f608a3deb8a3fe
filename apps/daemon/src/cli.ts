#!/usr/bin/env node
// The `tokens` bin. It loads only the heap settings before the commands (commands.ts): the
// daemon's modules are most of what `tokens start` allocates while starting.
import { holdYoungGeneration } from './cli/startup-heap';

if (process.argv[2] === 'start') holdYoungGeneration();
await import('./commands');
