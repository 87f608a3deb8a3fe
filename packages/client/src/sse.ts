export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Longest line accepted from the stream; longer means it is not our daemon. */
export const MAX_SSE_LINE = 1024 * 1024;

/**
 * An incremental `text/event-stream` parser (WHATWG rules: `\n`, `\r\n` or `\r` line ends,
 * `:` comments, `event`/`data`/`id` fields, a blank line dispatches). Throws on an over-long line.
 */
export function createSseParser(onMessage: (m: SseMessage) => void) {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let sawCr = false;

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
      event = '';
      data = [];
      id = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  return {
    push(chunk: string) {
      let start = 0;
      let text = buffer + chunk;
      buffer = '';
      if (sawCr && text.startsWith('\n')) text = text.slice(1);
      sawCr = false;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(text.slice(start, i));
        if (c === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else sawCr = true;
        }
        start = i + 1;
      }
      buffer = text.slice(start);
      if (buffer.length > MAX_SSE_LINE) throw new Error('event stream line too long');
    },
  };
}
