/**
 * A genesis from public parts only: each operator runs `ledger keys new` on their own host
 * and shares the address, public key and peer id it prints; one of them collects those in a
 * validators file and builds the genesis from it. No private key is read, made or written
 * here, so none has to leave the host it was made on.
 *
 * The validators file is JSON or text (docs/OPERATIONS.md):
 *
 *   JSON  { "validators": [{ "name", "address", "publicKey", "peerId", "power"? }],
 *           "observers"?: [{ "name", "peerId" }], "alloc"?: { "0x..": "wei" } }
 *         the same shapes as genesis.json's fields (genesis/README.md); power defaults to 1.
 *
 *   text  one entry a line, fields separated by blanks, `#` starts a comment:
 *           validator NAME ADDRESS PUBLIC_KEY PEER_ID [POWER]
 *           observer  NAME PEER_ID
 *           alloc     ADDRESS WEI
 *
 * Every check of a genesis (parseGenesis) runs on the result, so a public key that is not
 * the one of its address or peer id is refused (ADDRESS_MISMATCH, PEER_ID_MISMATCH); errors
 * of a text file name its line (`validators.txt:3`), of a JSON file its JSON path.
 */
import { GenesisError } from './errors.js';
import { genesisToJson, parseGenesis } from './parse.js';
import type { Genesis, GenesisJson, GenesisParamsJson, ObserverJson, ValidatorJson } from './types.js';

/** The parties of a network as a validators file lists them. */
export interface GenesisParties {
  validators: ValidatorJson[];
  observers: ObserverJson[];
  alloc: Record<string, string>;
  /** Where each entry was in a text file (1-based lines), to name it in errors; none for JSON. */
  lines?: {
    validators: number[];
    observers: number[];
    /** By the alloc key as written. */
    alloc: Map<string, number>;
  };
}

/**
 * A validators file is read whole; this bounds it. The largest genesis (256 validators,
 * 256 observers, GENESIS_LIMITS.maxAllocEntries allocations of about 110 bytes each in
 * JSON) fits well inside.
 */
export const MAX_VALIDATORS_FILE_BYTES = 16 * 1024 * 1024;

const TEXT_KINDS = ['validator', 'observer', 'alloc'] as const;

/**
 * Parses a validators file (JSON when its first non-blank character is `{`, text otherwise).
 * `source` names the file in error messages. Shapes are checked here; the values by
 * genesisFromParties.
 */
export function parseValidatorsFile(text: string, source: string): GenesisParties {
  if (Buffer.byteLength(text) > MAX_VALIDATORS_FILE_BYTES) {
    throw new GenesisError(
      'VALIDATORS_FILE_TOO_LARGE',
      source,
      `is larger than ${MAX_VALIDATORS_FILE_BYTES} bytes`,
    );
  }
  return text.trimStart().startsWith('{') ? parseJsonParties(text, source) : parseTextParties(text, source);
}

export interface GenesisFromPartiesOptions {
  chainId: bigint;
  genesisTimeMs: number;
  params: GenesisParamsJson;
  /** Names the validators file in error messages. */
  source: string;
}

/** Builds and validates the genesis of `parties`; errors name the file's line or JSON path. */
export function genesisFromParties(
  parties: GenesisParties,
  options: GenesisFromPartiesOptions,
): { json: GenesisJson; genesis: Genesis } {
  const json: GenesisJson = {
    chainId: options.chainId.toString(),
    genesisTimeMs: options.genesisTimeMs,
    validators: parties.validators,
    observers: parties.observers,
    alloc: parties.alloc,
    params: options.params,
  };
  let genesis: Genesis;
  try {
    genesis = parseGenesis(json);
  } catch (err) {
    if (err instanceof GenesisError) throw locate(err, parties, options.source);
    throw err;
  }
  return { json: genesisToJson(genesis), genesis };
}

// ---------------------------------------------------------------------------------------

function malformed(source: string, message: string): never {
  throw new GenesisError('MALFORMED_VALIDATORS_FILE', source, message);
}

function parseJsonParties(text: string, source: string): GenesisParties {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    malformed(source, `is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    malformed(source, 'must be a JSON object');
  const doc = root as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (key !== 'validators' && key !== 'observers' && key !== 'alloc') {
      // chain id, time and params come from the command line, so every operator's copy of
      // the parties can be the same file
      throw new GenesisError(
        'UNKNOWN_FIELD',
        `${source}: ${key}`,
        'is not a validators file field (validators, observers, alloc)',
      );
    }
  }
  if (!Array.isArray(doc.validators)) malformed(source, 'must have a "validators" array');
  if (doc.observers !== undefined && !Array.isArray(doc.observers))
    malformed(source, '"observers" must be an array');
  const alloc = doc.alloc ?? {};
  if (typeof alloc !== 'object' || alloc === null || Array.isArray(alloc))
    malformed(source, '"alloc" must be an object of address: wei');
  const validators = (doc.validators as unknown[]).map((entry) => {
    // power may be left out: every validator has power 1 in this version
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && !('power' in entry))
      return { ...entry, power: 1 };
    return entry;
  });
  // the values' types are checked by parseGenesis, which sees these entries as they are
  return {
    validators: validators as ValidatorJson[],
    observers: (doc.observers ?? []) as ObserverJson[],
    alloc: alloc as Record<string, string>,
  };
}

function parseTextParties(text: string, source: string): GenesisParties {
  const parties: GenesisParties = {
    validators: [],
    observers: [],
    alloc: {},
    lines: { validators: [], observers: [], alloc: new Map() },
  };
  const lines = parties.lines as NonNullable<GenesisParties['lines']>;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const at = `${source}:${line}`;
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) return;
    const [kind, ...rest] = fields;
    const expect = (min: number, max: number, shape: string) => {
      if (rest.length < min || rest.length > max)
        throw new GenesisError('MALFORMED_VALIDATORS_FILE', at, `expected "${shape}"`);
    };
    switch (kind) {
      case 'validator': {
        expect(4, 5, 'validator NAME ADDRESS PUBLIC_KEY PEER_ID [POWER]');
        const [name, address, publicKey, peerId, power] = rest;
        const parsedPower = power === undefined ? 1 : /^[0-9]{1,6}$/.test(power) ? Number(power) : Number.NaN;
        if (Number.isNaN(parsedPower))
          throw new GenesisError('INVALID_POWER', at, `power ${JSON.stringify(power)} is not a number`);
        parties.validators.push({ name, address, publicKey, peerId, power: parsedPower });
        lines.validators.push(line);
        return;
      }
      case 'observer': {
        expect(2, 2, 'observer NAME PEER_ID');
        const [name, peerId] = rest;
        parties.observers.push({ name, peerId });
        lines.observers.push(line);
        return;
      }
      case 'alloc': {
        expect(2, 2, 'alloc ADDRESS WEI');
        const [address, wei] = rest;
        const first = lines.alloc.get(address);
        if (first !== undefined)
          throw new GenesisError('DUPLICATE_ALLOC', at, `repeats the address of line ${first}`);
        // an own entry whatever the text: assigning to the key `__proto__` would set the
        // object's prototype instead, and the line would vanish without an error
        Object.defineProperty(parties.alloc, address, {
          value: wei,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        lines.alloc.set(address, line);
        return;
      }
      default:
        throw new GenesisError(
          'MALFORMED_VALIDATORS_FILE',
          at,
          `unknown entry ${JSON.stringify(kind.slice(0, 32))}; expected one of ${TEXT_KINDS.join(', ')}`,
        );
    }
  });
  return parties;
}

/** The same error, placed in the validators file: `file:line` for text, `file: path` for JSON. */
function locate(err: GenesisError, parties: GenesisParties, source: string): GenesisError {
  const detail = err.message.slice(err.path.length).trimStart();
  const lines = parties.lines;
  if (lines === undefined)
    return new GenesisError(err.code, `${source}: ${err.path}`, detail, { cause: err });
  let line: number | undefined;
  const entry = /^(validators|observers)\[(\d+)\]/.exec(err.path);
  if (entry) line = lines[entry[1] as 'validators' | 'observers'][Number(entry[2])];
  const alloc = /^alloc\[("(?:[^"\\]|\\.)*")\]/.exec(err.path);
  if (alloc) line = lines.alloc.get(JSON.parse(alloc[1]) as string);
  if (line === undefined) return new GenesisError(err.code, source, `${err.path} ${detail}`, { cause: err });
  return new GenesisError(err.code, `${source}:${line}`, `${err.path} ${detail}`, { cause: err });
}
