import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { EventHub, StampedEvent } from '../events';

/** Output a subscriber may leave unread before it is dropped: a slow reader never stalls others. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const frameOf = (e: StampedEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

interface Stream {
  res: ServerResponse;
  /** Id of the last event this stream was sent (replay included). */
  sentUpTo: number;
}

/**
 * Every SSE stream of one event hub. Events published in the same turn of the event loop (a
 * refresh publishes its state change and its token together) are serialised once and written
 * to each stream in ONE write, and one timer sends every stream's heartbeat: fan-out to
 * thousands of dashboards and bots costs one syscall per subscriber per turn.
 */
class SseFanout {
  private readonly streams = new Set<Stream>();
  private batch: StampedEvent[] = [];
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    events: EventHub,
    private readonly now: () => number,
    private readonly heartbeatMs: number,
  ) {
    events.subscribe((e) => {
      this.batch.push(e);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  get size(): number {
    return this.streams.size;
  }

  add(stream: Stream): () => void {
    this.streams.add(stream);
    this.heartbeat ??= setInterval(() => this.writeAll(`event: heartbeat\ndata: ${this.now()}\n\n`), this.heartbeatMs).unref();
    return () => {
      this.streams.delete(stream);
      if (this.streams.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
    };
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.batch;
    this.batch = [];
    if (events.length === 0 || this.streams.size === 0) return;
    const first = events[0]!.id;
    const last = events[events.length - 1]!.id;
    const all = events.map(frameOf).join('');
    for (const s of this.streams) {
      if (s.sentUpTo >= last) continue;
      // A stream that joined during this turn already got part of the batch in its replay.
      const text = s.sentUpTo < first ? all : events.filter((e) => e.id > s.sentUpTo).map(frameOf).join('');
      s.sentUpTo = last;
      write(s.res, text);
    }
  }

  private writeAll(text: string): void {
    for (const s of this.streams) write(s.res, text);
  }
}

function write(res: ServerResponse, text: string): void {
  if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
  else res.write(text);
}

const fanouts = new WeakMap<EventHub, SseFanout>();

/** Open SSE streams of a hub. */
export const sseStreamCount = (events: EventHub): number => fanouts.get(events)?.size ?? 0;

/**
 * `GET /v1/events` written straight to Node's response (web streams cost far more per chunk).
 * `Last-Event-ID` (or `?since=`) replays what a reconnecting client missed.
 */
export function serveEvents(c: Context, events: EventHub, now: () => number, heartbeatMs: number): Response {
  const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!res) return c.text('Server-Sent Events need the Node server.', 500);
  let fanout = fanouts.get(events);
  if (!fanout) fanouts.set(events, (fanout = new SseFanout(events, now, heartbeatMs)));
  const lastId = Number(c.req.header('last-event-id') ?? c.req.query('since') ?? 0) || 0;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  const missed = events.since(lastId);
  res.write(`: connected\n\n${missed.map(frameOf).join('')}`);
  // Everything published so far was either replayed or is older than the client asked for (an
  // id from before a daemon restart may be larger than any now: it must not mute the stream).
  const remove = fanout.add({ res, sentUpTo: events.lastId });
  res.once('close', remove);
  res.once('error', remove);
  return RESPONSE_ALREADY_SENT;
}
