import { expect, it } from 'vitest';
import { createEventHub } from '../src/events';

const ids = (events: Array<{ id: number }>) => events.map((e) => e.id);
const publishN = (hub: ReturnType<typeof createEventHub>, n: number) => {
  for (let i = 0; i < n; i++) hub.publish({ type: 'sink', accountId: 'a', sink: 's', ok: true });
};

it('keeps the last `history` events for late subscribers, in order, whatever was published before', () => {
  const hub = createEventHub({ now: () => 1_000, history: 3 });
  expect(hub.since()).toEqual([]);
  publishN(hub, 2);
  expect(ids(hub.since())).toEqual([1, 2]);
  publishN(hub, 8);
  expect(hub.lastId).toBe(10);
  expect(ids(hub.since())).toEqual([8, 9, 10]);
  expect(ids(hub.since(0))).toEqual([8, 9, 10]);
  expect(ids(hub.since(8))).toEqual([9, 10]);
  expect(hub.since(10)).toEqual([]);
  expect(hub.since(999)).toEqual([]);
  expect(ids(hub.since(-5))).toEqual([8, 9, 10]);
  // Across many batches of trimming.
  publishN(hub, 1_000);
  expect(ids(hub.since())).toEqual([1008, 1009, 1010]);
  expect(ids(hub.since(1008))).toEqual([1009, 1010]);
  expect(hub.since(1010)).toEqual([]);
  expect(hub.since()[0]).toMatchObject({ type: 'sink', at: 1_000 });
});

it('delivers every event to every subscriber, and a throwing subscriber does not starve the others', () => {
  const hub = createEventHub({ now: () => 5 });
  const seen: number[] = [];
  hub.subscribe(() => {
    throw new Error('broken consumer');
  });
  const off = hub.subscribe((e) => seen.push(e.id));
  publishN(hub, 3);
  off();
  publishN(hub, 1);
  expect(seen).toEqual([1, 2, 3]);
  expect(hub.subscribers).toBe(1);
});
