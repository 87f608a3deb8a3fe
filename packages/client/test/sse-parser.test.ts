import { expect, it } from 'vitest';
import { createSseParser, type SseMessage } from '../src/sse';

const parse = (chunks: string[]) => {
  const out: SseMessage[] = [];
  const p = createSseParser((m) => out.push(m));
  for (const c of chunks) p.push(c);
  return out;
};

it('parses the daemon\'s frames in any chunking, with \\n, \\r\\n or \\r line ends', () => {
  const frame = 'event: token\ndata: {"v":1}\nid: 4\n\n: keep-alive comment\n\nevent: heartbeat\ndata: 123\n\n';
  const want = [
    { event: 'token', data: '{"v":1}', id: '4' },
    { event: 'heartbeat', data: '123' },
  ];
  expect(parse([frame])).toEqual(want);
  expect(parse(frame.split(''))).toEqual(want);
  expect(parse([frame.replace(/\n/g, '\r\n')])).toEqual(want);
  expect(parse(frame.replace(/\n/g, '\r\n').split(''))).toEqual(want); // \r and \n in separate chunks
  expect(parse([frame.replace(/\n/g, '\r')])).toEqual(want);
});

it('joins multi-line data, defaults the event name, ignores unknown fields and empty frames', () => {
  expect(parse(['data: a\ndata: b\nfoo: bar\n\n\n\ndata\n\n'])).toEqual([
    { event: 'message', data: 'a\nb' },
    { event: 'message', data: '' },
  ]);
});

it('refuses an endless line', () => {
  const p = createSseParser(() => undefined);
  expect(() => p.push('x'.repeat(1_100_000))).toThrow(/too long/);
});
