import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Directory fsyncs are held until the test lets them finish, to watch the group commit; the
// log orders renames and directory fsyncs.
const pending: Array<() => void> = [];
const log: string[] = [];
let dirFsyncs = 0;
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    fsync: (fd: number, cb: (error: Error | null) => void) => {
      if (!fs.fstatSync(fd).isDirectory()) return fs.fsync(fd, cb);
      const n = ++dirFsyncs;
      log.push(`start ${n}`);
      pending.push(() =>
        fs.fsync(fd, (error) => {
          log.push(`end ${n}`);
          cb(error);
        }),
      );
    },
    rename: (from: string, to: string, cb: (error: Error | null) => void) =>
      fs.rename(from, to, (error) => {
        log.push(`renamed ${to}`);
        cb(error);
      }),
  };
});

const { syncDir } = await import('../src/stores/file/durable');
const { writeFileAtomic } = await import('../src/stores/file/atomic-write');

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const tick = () => new Promise((r) => setTimeout(r, 20));
const release = async () => {
  pending.shift()!();
  await tick();
};

describe('durable writes', () => {
  it('group-commits directory fsyncs: each caller waits for one that started after its call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokens-durable-'));
    dirs.push(dir);
    dirFsyncs = 0;
    {
      const state: Record<string, boolean> = {};
      const track = (name: string) => syncDir(dir).then(() => (state[name] = true));
      const a = track('a'); // starts fsync #1
      await tick();
      const b = track('b'); // #1 may predate b's rename: b and c wait for #2
      const c = track('c');
      await tick();
      expect([dirFsyncs, state]).toEqual([1, {}]);
      await release(); // #1 done: a only; #2 starts for b and c
      expect([dirFsyncs, state]).toEqual([2, { a: true }]);
      const d = track('d'); // arrives during #2: waits for #3
      await release();
      expect([dirFsyncs, state]).toEqual([3, { a: true, b: true, c: true }]);
      await release();
      expect(state).toEqual({ a: true, b: true, c: true, d: true });
      await Promise.all([a, b, c, d]);
    }
    // Alone, a caller still gets its own fsync on the pool, and only after it ends.
    let alone = false;
    const e = syncDir(dir).then(() => (alone = true));
    await tick();
    expect([dirFsyncs, alone]).toEqual([4, false]);
    await release();
    await e;
    expect(alone).toBe(true);
  });

  it('concurrent atomic writes each resolve after a directory fsync that started after their rename', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokens-durable-'));
    dirs.push(dir);
    dirFsyncs = 0;
    log.length = 0;
    const n = 50;
    const writes = Promise.all(
      Array.from({ length: n }, (_, i) =>
        writeFileAtomic(join(dir, `f${i}`), `content ${i}`).then(() => {
          log.push(`done ${join(dir, `f${i}`)}`);
        }),
      ),
    );
    while (log.filter((e) => e.startsWith('done')).length < n) {
      await tick();
      if (pending.length > 0) await release();
    }
    await writes;
    for (let i = 0; i < n; i++) {
      const path = join(dir, `f${i}`);
      const renamed = log.indexOf(`renamed ${path}`);
      const done = log.indexOf(`done ${path}`);
      const covering = log.slice(renamed, done).filter((e) => e.startsWith('start ')).map((e) => e.slice(6));
      expect(renamed, path).toBeGreaterThanOrEqual(0);
      expect(covering.some((k) => log.indexOf(`end ${k}`) < done), path).toBe(true);
    }
    expect(dirFsyncs).toBeLessThan(n / 2); // shared
    expect((await readdir(dir)).sort()).toEqual(Array.from({ length: n }, (_, i) => `f${i}`).sort());
    expect(await readFile(join(dir, 'f7'), 'utf8')).toBe('content 7');
  });
});
