// SSE fan-out (src/api/sse.ts) on a real Node server: events of one turn share one write,
// replay after Last-Event-ID has no duplicates, and an id from before a daemon restart (larger
// than any now) does not mute the stream, and a stream nobody reads is dropped.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEventHub } from '../src/events';
import { serveEvents } from '../src/api/sse';

const hub = createEventHub({ now: () => 1_700_000_000_000 });
// Its own hub: the heartbeat interval belongs to a hub's fan-out.
const quietHub = createEventHub({ now: () => 1_700_000_000_000 });
let server: ServerType;
let url: string;

beforeAll(async () => {
  const app = new Hono();
  app.get('/events', (c) => serveEvents(c, hub, () => 0, 60_000));
  app.get('/quiet', (c) => serveEvents(c, quietHub, () => 1234, 30));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const token = (n: number) => ({ type: 'token' as const, accountId: `a-${n}`, broker: 'fyers', version: n, expiresAt: 0, source: 'refresh' });

/** Opens a stream; collects its raw chunks. */
function open(headers: Record<string, string> = {}) {
  const chunks: string[] = [];
  const ready = new Promise<() => void>((resolve) => {
    const req = request(`${url}/events`, { headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        chunks.push(c);
        if (chunks.length === 1) resolve(() => req.destroy());
      });
    });
    req.end();
  });
  const ids = () => [...chunks.join('').matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return { chunks, ready, ids };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
};

it('writes the events of one turn to each stream in one chunk, in order', async () => {
  const a = open();
  const b = open();
  const close = await Promise.all([a.ready, b.ready]);
  const before = hub.lastId;
  hub.publish(token(1));
  hub.publish(token(2));
  hub.publish(token(3));
  await until(() => a.ids().length === 3 && b.ids().length === 3);
  for (const s of [a, b]) {
    expect(s.ids()).toEqual([before + 1, before + 2, before + 3]);
    expect(s.chunks.filter((c) => c.includes('event: token'))).toHaveLength(1);
  }
  close.forEach((c) => c());
});

it('replays what a client missed after Last-Event-ID, then goes on live without duplicates', async () => {
  const seenUpTo = hub.lastId;
  hub.publish(token(4));
  hub.publish(token(5));
  const c = open({ 'last-event-id': String(seenUpTo) });
  const close = await c.ready;
  hub.publish(token(6));
  await until(() => c.ids().length === 3);
  await new Promise((r) => setTimeout(r, 50));
  expect(c.ids()).toEqual([seenUpTo + 1, seenUpTo + 2, seenUpTo + 3]);
  close();
});

it('a Last-Event-ID from before a daemon restart (larger than any id now) still gets new events', async () => {
  const c = open({ 'last-event-id': String(hub.lastId + 10_000) });
  const close = await c.ready;
  hub.publish(token(7));
  await until(() => c.ids().length === 1);
  expect(c.ids()).toEqual([hub.lastId]);
  expect(c.chunks.join('')).toContain('"accountId":"a-7"');
  close();
});

it('drops a stream whose reader stopped reading, and keeps serving the others', async () => {
  const { sseStreamCount } = await import('../src/api/sse');
  const reader = open();
  const closeReader = await reader.ready;
  // A raw socket that subscribes and then never reads.
  const { connect } = await import('node:net');
  const stalled = connect((server.address() as AddressInfo).port, '127.0.0.1');
  stalled.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
  stalled.pause();
  await until(() => sseStreamCount(hub) === 2);
  const closed = new Promise<void>((r) => stalled.once('close', () => r()));
  stalled.on('error', () => undefined);
  // Up to 64 MB of events, one turn at a time, until the daemon gives up on the stalled stream:
  // loopback TCP buffers take several MB before our 1 MB limit of unsent output is reached.
  const big = { type: 'sink' as const, accountId: 'a-big', sink: 'x'.repeat(32 * 1024), ok: true };
  for (let i = 0; i < 2_000 && sseStreamCount(hub) === 2; i++) {
    hub.publish(big);
    await new Promise((r) => setImmediate(r));
  }
  await until(() => sseStreamCount(hub) === 1);
  const seen = reader.ids().length;
  hub.publish(token(7));
  await until(() => reader.ids().length > seen);
  stalled.resume();
  await closed;
  closeReader();
});

it('sends a heartbeat on a quiet stream, so proxies and clients can tell it is alive', async () => {
  const chunks: string[] = [];
  const req = request(`${url}/quiet`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => chunks.push(c));
  });
  req.end();
  await until(() => chunks.join('').split('event: heartbeat\ndata: 1234\n\n').length > 2);
  expect(chunks.join('')).not.toContain('event: token');
  req.destroy();
});
