#!/usr/bin/env node
// The `tokens` bin. It imports nothing heavy itself, so that the setting below is in place
// before the daemon's modules load; the commands live in commands.ts.
import { setFlagsFromString } from 'node:v8';

// `tokens start` keeps most of what it allocates while starting (modules, config, store), so
// V8 doubles the young generation at each scavenge, up to 32 MB, and gives the pages back
// only when its memory reducer runs ~8 s after the last burst: idle RSS stood ~10 MB higher
// for those seconds. Not growing it until the daemon is ready avoids that; runStart then
// restores V8's default growth, so a busy daemon still gets a large young generation.
if (process.argv[2] === 'start' && !process.execArgv.some((a) => a.startsWith('--semi-space-growth-factor'))) {
  setFlagsFromString('--semi-space-growth-factor=1');
}
await import('./commands');
