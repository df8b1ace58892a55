/**
 * Turns the node's pino JSON lines into the human-readable lines of the devnet's log files,
 * in the spirit of pino-pretty (time, level, message, then the other fields as key=value;
 * an error's stack indented below). The layout is pino-pretty's idea, the code is ours: the
 * project does not depend on pino-pretty. A line that is not a pino object (a crash
 * message on stderr, a CLI refusal) is kept as it is.
 */

/** pino's numeric levels (pino docs, "Logger Instance: level"). */
const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields pino writes on every line, shown in the line's head rather than as key=value. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string')
    return /^[\w./:@+-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function isErrorObject(value: unknown): value is { message?: unknown; stack?: unknown } {
  return typeof value === 'object' && value !== null && ('stack' in value || 'message' in value);
}

/** One pino JSON line as one or more readable lines (no trailing newline). */
export function formatLogLine(line: string): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record.time === 'number' ? clockTime(record.time) : '--:--:--.---';
  const level =
    typeof record.level === 'number'
      ? (LEVEL_NAMES[record.level] ?? `L${record.level}`)
      : String(record.level);
  const parts = [time, level.padEnd(5), typeof record.msg === 'string' ? record.msg : ''];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HEAD_FIELDS.has(key)) continue;
    if (isErrorObject(value) && typeof value.stack === 'string') {
      parts.push(`${key}=${fieldText(value.message)}`);
      stacks.push(...value.stack.split('\n').map((s) => `    ${s}`));
    } else {
      parts.push(`${key}=${fieldText(value)}`);
    }
  }
  return [parts.filter((p) => p !== '').join(' '), ...stacks].join('\n');
}
