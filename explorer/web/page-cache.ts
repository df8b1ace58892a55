/**
 * Rendered pages kept as bytes. A committed block, and an account's history up to a given
 * head, never change: their page is rendered once (with preact, escaping as always) into a
 * template, and each request only fills its slots: the relative times ("12 s ago", from
 * the time of the request) and the live parts (an account's balance and pending nonce),
 * each rendered for that request. Every page goes through a template, cached or not, so a
 * page served from the cache is the page a fresh render would give.
 *
 * A slot is a marker in the rendered text: a private-use character, its index, another.
 * Nothing the pages show from the chain is free text that could hold one, and a template
 * whose markers are not exactly the slots recorded, in order, is refused (the caller then
 * renders the page directly), so a marker in the data can never move a slot.
 */
import { relativeTime } from './format.js';

const SLOT_OPEN = '\uE000';
const SLOT_CLOSE = '\uE001';
/** A marker, its index captured: split() keeps the captures between the chunks. */
const SLOT_RE = /\uE000(\d+)\uE001/;

export type Slot =
  /** A relative time, measured from when the page is served. */
  | { kind: 'time'; ms: number }
  /** A part rendered for each request (live data), by name. */
  | { kind: 'live'; name: string };

/** Collects the slots of one render, in the order the renderer writes them. */
export class SlotRecorder {
  readonly slots: Slot[] = [];

  time(ms: number): string {
    return this.mark({ kind: 'time', ms });
  }

  live(name: string): string {
    return this.mark({ kind: 'live', name });
  }

  private mark(slot: Slot): string {
    this.slots.push(slot);
    return `${SLOT_OPEN}${this.slots.length - 1}${SLOT_CLOSE}`;
  }
}

/** A page as its fixed bytes around its slots: `chunks.length === slots.length + 1`. */
export interface PageTemplate {
  chunks: Buffer[];
  slots: Slot[];
  /** Bytes of the chunks (what the template holds in memory). */
  bytes: number;
}

/**
 * The template of a page rendered with `recorder`'s markers, or undefined when the text's
 * markers are not exactly the recorded slots in order (data that held a marker).
 */
export function toTemplate(html: string, recorder: SlotRecorder): PageTemplate | undefined {
  const parts = html.split(SLOT_RE);
  const slots = recorder.slots;
  if (parts.length !== 2 * slots.length + 1) return undefined;
  const chunks: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const text = parts[i];
    if (text.includes(SLOT_OPEN) || text.includes(SLOT_CLOSE)) return undefined;
    if (i > 0 && Number(parts[i - 1]) !== i / 2 - 1) return undefined;
    const chunk = Buffer.from(text);
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return { chunks, slots, bytes };
}

export interface SlotValues {
  nowMs: number;
  /** The HTML of a live part (rendered by preact, so escaped as any page), as bytes. */
  live(name: string): Buffer;
}

/** A filled page: the template's own chunks (never copied) between the filled slots. */
export interface FilledPage {
  parts: Array<string | Buffer>;
  bytes: number;
}

/**
 * The page with every slot filled, as parts to write in order: a page copied into one
 * fresh buffer per request would allocate its whole size outside the JavaScript heap each
 * time, and those allocations are what starts V8's full collections under load.
 */
export function fillTemplate(template: PageTemplate, values: SlotValues): FilledPage {
  const { chunks, slots } = template;
  const parts = new Array<string | Buffer>(2 * slots.length + 1);
  let bytes = template.bytes;
  parts[0] = chunks[0];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    // relativeTime writes digits and words only: nothing to escape
    const fill = slot.kind === 'time' ? relativeTime(slot.ms, values.nowMs) : values.live(slot.name);
    bytes += typeof fill === 'string' ? Buffer.byteLength(fill) : fill.length;
    parts[2 * i + 1] = fill;
    parts[2 * i + 2] = chunks[i + 1];
  }
  return { parts, bytes };
}

/**
 * Templates by key, bounded in entries and in bytes; the least recently served goes first.
 * A key must name everything its page shows apart from its slots (the caller's promise:
 * e.g. the height, the cursor and whether the block is the head).
 */
export class PageCache {
  private readonly entries = new Map<string, PageTemplate>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): PageTemplate | undefined {
    const template = this.entries.get(key);
    if (template) {
      // re-inserted: the map's order is the order of last use
      this.entries.delete(key);
      this.entries.set(key, template);
    }
    return template;
  }

  set(key: string, template: PageTemplate): void {
    if (template.bytes > this.maxBytes || this.maxEntries === 0) return;
    const known = this.entries.get(key);
    if (known) {
      this.entries.delete(key);
      this.bytes -= known.bytes;
    }
    while (this.entries.size >= this.maxEntries || this.bytes + template.bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.bytes -= oldest.bytes;
    }
    this.entries.set(key, template);
    this.bytes += template.bytes;
  }

  /** Templates and bytes held (for tests and metrics). */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
