/**
 * Shared pieces of the decoder fuzz suite: the seed, mutations of valid encodings, and the
 * one property every decoder holds (a value that encodes back to the input, or the
 * decoder's own typed error; nothing else).
 *
 * The seed comes from FUZZ_SEED (default below) and FUZZ_RUNS scales every property's
 * runs (default 1); fast-check prints the seed and the shrunk counterexample on failure,
 * and `fuzzParameters` adds the seed to the message so a failure replays with
 * FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';

const DEFAULT_SEED = 1515;

export const FUZZ_SEED = parseEnvInt('FUZZ_SEED', DEFAULT_SEED);
const RUN_SCALE = parseEnvNumber('FUZZ_RUNS', 1);

function parseEnvInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
}

function parseEnvNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

/** fast-check parameters: the suite's seed, and `numRuns` scaled by FUZZ_RUNS. */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(numRuns * RUN_SCALE)),
    // no time-based interruption: a run must be replayable from its seed alone
    reporter: (details) => {
      if (details.failed)
        throw new Error(`${fc.defaultReportMessage(details)}\nReplay with FUZZ_SEED=${FUZZ_SEED}`);
    },
  };
}

/** A typed error of the project: an instance of `errorClass` with a string code. */
export function assertTypedError(err: unknown, errorClass: abstract new (...args: never[]) => Error): void {
  if (!(err instanceof errorClass) || typeof (err as { code?: unknown }).code !== 'string') {
    const shown = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    assert.fail(`expected a ${errorClass.name} with a code, got ${shown}`);
  }
}

/**
 * The property of a binary decoder: `decode(input)` either throws its typed error or
 * returns a value whose encoding is exactly `input`.
 */
export function checkBinaryDecoder<T>(
  input: Uint8Array,
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
  errorClass: abstract new (...args: never[]) => Error,
): 'decoded' | 'refused' {
  let value: T;
  try {
    value = decode(input);
  } catch (err) {
    assertTypedError(err, errorClass);
    return 'refused';
  }
  assert.deepEqual(encode(value), input, 'a decoded value must re-encode to the input bytes');
  return 'decoded';
}

/** RLP prefixes that announce a string or list far longer than any input (4 GB and 2^64 - 1). */
const HUGE_PREFIXES: readonly Uint8Array[] = [
  Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xfb, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xb9, 0xff, 0xff),
  Uint8Array.of(0xf9, 0xff, 0xff),
];

function splice(bytes: Uint8Array, at: number, removed: number, inserted: Uint8Array): Uint8Array {
  const start = Math.min(at, bytes.length);
  const end = Math.min(start + removed, bytes.length);
  const out = new Uint8Array(bytes.length - (end - start) + inserted.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(inserted, start);
  out.set(bytes.subarray(end), start + inserted.length);
  return out;
}

/**
 * Inputs around a valid encoding: itself, truncations, bit flips, byte edits, bytes
 * appended, a huge length prefix written over or into it, and unrelated bytes.
 */
export function mutationsOf(valid: fc.Arbitrary<Uint8Array>, maxRandomBytes = 256): fc.Arbitrary<Uint8Array> {
  const position = fc.nat({ max: 1 << 20 });
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, position)
        .map(([b, at]) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, fc.array(fc.tuple(position, fc.nat(7)), { minLength: 1, maxLength: 3 }))
        .map(([b, flips]) => {
          const out = b.slice();
          if (out.length > 0) for (const [at, bit] of flips) out[at % out.length] ^= 1 << bit;
          return out;
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, position, fc.nat(3), fc.uint8Array({ maxLength: 4 }))
        .map(([b, at, removed, inserted]) =>
          splice(b, b.length === 0 ? 0 : at % b.length, removed, inserted),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([b, tail]) => {
        const out = new Uint8Array(b.length + tail.length);
        out.set(b);
        out.set(tail, b.length);
        return out;
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, position, fc.constantFrom(...HUGE_PREFIXES), fc.boolean())
        .map(([b, at, prefix, overwrite]) =>
          splice(b, b.length === 0 ? 0 : at % b.length, overwrite ? prefix.length : 0, prefix),
        ),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandomBytes }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...HUGE_PREFIXES), fc.uint8Array({ maxLength: 5 }))
        .map(([prefix, tail]) => splice(prefix, prefix.length, 0, tail)),
    },
  );
}

/** Minimal RLP list prefix of a body of `length` bytes. */
export function rlpListPrefix(length: number): number[] {
  if (length < 56) return [0xc0 + length];
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0xf7 + bytes.length, ...bytes];
}

/**
 * Canonical RLP of lists nested as deep as fit in `totalBytes` (the innermost empty): the
 * input that cost @ethereumjs/rlp time in proportion to length x depth.
 */
export function nestedLists(totalBytes: number): Uint8Array {
  const prefixes: number[][] = [];
  let length = 0;
  for (;;) {
    const prefix = rlpListPrefix(length);
    if (length + prefix.length > totalBytes) break;
    prefixes.push(prefix);
    length += prefix.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = prefixes.length - 1; i >= 0; i--) {
    out.set(prefixes[i], at);
    at += prefixes[i].length;
  }
  return out;
}

/** Canonical RLP of one flat list of `count` one-byte strings (0x01). */
export function wideList(count: number): Uint8Array {
  const prefix = rlpListPrefix(count);
  const out = new Uint8Array(prefix.length + count).fill(1);
  out.set(prefix, 0);
  return out;
}

/**
 * Runs `check` (which returns whether the input decoded or was refused) over `inputs`, and
 * asserts both outcomes happened: a generator whose every input is refused tests nothing.
 */
export function assertDecoderProperty(
  inputs: fc.Arbitrary<Uint8Array>,
  check: (input: Uint8Array) => 'decoded' | 'refused',
  numRuns: number,
): void {
  const seen = { decoded: 0, refused: 0 };
  fc.assert(
    fc.property(inputs, (input) => {
      seen[check(input)]++;
    }),
    fuzzParameters(numRuns),
  );
  assert.ok(seen.decoded > 0, 'no input decoded: the valid encodings are not valid');
  assert.ok(seen.refused > 0, 'no input was refused: the mutations do not mutate');
}

/** JSON values a mutation writes: every type, small numbers (no costly KDF parameter by chance). */
const jsonScalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -4, max: 64 }),
  fc.constantFrom(0, 1, 2, 3, 2 ** 53, -1, 1.5, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', '0x', '0x00', '3', '1e3', '-1', '00', '__proto__'),
);
const jsonMutationValue = fc.oneof(
  { weight: 4, arbitrary: jsonScalar },
  { weight: 1, arbitrary: fc.array(jsonScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), jsonScalar, { maxKeys: 3 }) },
);

type JsonPath = Array<string | number>;

function pathsOf(value: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(at);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) pathsOf(value[i], [...at, i], out);
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

/** A copy of `doc` with the value at one path replaced, deleted, or given an extra sibling. */
function mutateJson(doc: unknown, pick: number, how: number, value: unknown): unknown {
  const copy = structuredClone(doc);
  const paths = pathsOf(copy);
  const path = paths[pick % paths.length];
  if (path.length === 0) return how % 2 === 0 ? value : copy;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (how === 0 && !Array.isArray(parent)) delete parent[key];
  else if (how === 1 && !Array.isArray(parent)) parent[`${String(key)}X`] = value;
  else if (how === 2 && typeof key === 'string' && !Array.isArray(parent)) {
    // the same field under another case: some formats look fields up case-insensitively
    parent[key.toUpperCase()] = value;
  } else parent[key] = value;
  return copy;
}

/**
 * JSON texts around a valid document: itself, one or two structural mutations, and text
 * truncations and character flips of its serialisation.
 */
export function jsonMutationsOf(doc: unknown): fc.Arbitrary<string> {
  const text = JSON.stringify(doc);
  const structural = fc
    .array(fc.tuple(fc.nat(), fc.nat(5), jsonMutationValue), { minLength: 1, maxLength: 2 })
    .map((edits) =>
      JSON.stringify(edits.reduce((d, [pick, how, value]) => mutateJson(d, pick, how, value), doc)),
    );
  const textual = fc
    .tuple(fc.nat(), fc.nat(), fc.boolean())
    .map(([at, code, truncate]) =>
      truncate
        ? text.slice(0, at % text.length)
        : text.slice(0, at % text.length) +
          String.fromCharCode(code % 128) +
          text.slice((at % text.length) + 1),
    );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(text) },
    { weight: 5, arbitrary: structural },
    { weight: 2, arbitrary: textual },
  );
}
