/**
 * The benchmark's side of GET /api/v1/events: a parser of the Server-Sent Events format
 * (WHATWG HTML, "server-sent events": lines end in LF, CRLF or CR; `field: value`, one
 * optional space after the colon; a blank line dispatches the event; a line starting with
 * `:` is a comment) and a checker of what one client received: every block of the measured
 * range exactly once and in height order.
 */

export interface SseEvent {
  /** The `event:` field; 'message' when absent. */
  type: string;
  /** The `id:` field of this event, when it had one. */
  id: string | undefined;
  data: string;
}

/** Turns the chunks of one stream into events; chunks may split lines and characters. */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  /** A CR ended the previous chunk: a LF starting the next one belongs to it. */
  private lastWasCr = false;
  private type = '';
  private id: string | undefined;
  private data: string[] = [];

  /** Feeds one chunk; returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.lastWasCr && text.length > 0) {
      if (text.startsWith('\n')) text = text.slice(1);
      this.lastWasCr = false;
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      // a CR at the very end may be the first half of a CRLF still in flight
      this.lastWasCr = match[0] === '\r' && this.buffer.length === 0;
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.type = '';
        return undefined;
      }
      const event = { type: this.type || 'message', id: this.id, data: this.data.join('\n') };
      this.type = '';
      this.id = undefined;
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}

/** What one client's stream delivered of the blocks [first, last]. */
export interface DeliveryVerdict {
  received: number;
  missing: number[];
  duplicates: number[];
  /** Heights that arrived after a higher one. */
  outOfOrder: number[];
  /** Heights outside [first, last] (before the measurement or past its end). */
  outside: number;
}

/** Records the block heights one client receives, in arrival order. */
export class BlockDeliveryChecker {
  readonly heights: number[] = [];

  record(height: number): void {
    this.heights.push(height);
  }

  verdict(first: number, last: number): DeliveryVerdict {
    const seen = new Set<number>();
    const duplicates: number[] = [];
    const outOfOrder: number[] = [];
    let highest = -Infinity;
    let outside = 0;
    for (const height of this.heights) {
      if (height < first || height > last) {
        outside++;
        continue;
      }
      if (seen.has(height)) duplicates.push(height);
      else if (height < highest) outOfOrder.push(height);
      seen.add(height);
      highest = Math.max(highest, height);
    }
    const missing: number[] = [];
    for (let h = first; h <= last; h++) if (!seen.has(h)) missing.push(h);
    return { received: this.heights.length - outside, missing, duplicates, outOfOrder, outside };
  }
}

/** True when a verdict found every block once and in order. */
export function deliveredExactlyOnceInOrder(v: DeliveryVerdict): boolean {
  return v.missing.length === 0 && v.duplicates.length === 0 && v.outOfOrder.length === 0;
}
