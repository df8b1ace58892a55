/**
 * The consensus safety data [S1, S2] in its own small lmdb environment under the data
 * directory (`<data>/safety`), apart from the ledger store: it is rewritten on every vote
 * and timeout, and only the latest value matters.
 *
 *   meta  'genesisHash' -> the chain's genesis block hash (refuses another chain's data)
 *         'digestTag'   -> CONSENSUS_DIGEST_TAG the certificates below were signed under
 *                          (data of another tag is refused: its QCs would not verify)
 *         'safety'      -> encodeSafetyData(latest durable safety data, without its blocks)
 *         'block:<id>'  -> encodeBlock(block): exactly the blocks of the latest safety data.
 *                          Each is written once, when it first enters the safety data, and
 *                          removed in the write that leaves it out: a block stays in the
 *                          safety data for two or three votes, and at 500 transactions a
 *                          block re-encoding every block on every vote cost more than 1%
 *                          of a node's CPU. (Data written with the blocks inline in
 *                          'safety', before, still loads. An older binary reading this
 *                          format sees the rounds but no blocks: safe, but it may have to
 *                          wait for a round whose certified block it lost.)
 *         'evidence:<kind>:<round>:<validator>' -> JSON EvidenceRecord (equivocation proofs
 *                          this node saw, in their compact form: see below)
 *
 * `persist` calls `durable` only after the write is flushed to disk, in call order; the
 * driver holds the vote / timeout / proposal back until then, so a vote leaves only after
 * its safety data is on disk.
 *
 * Evidence is compact and bounded in bytes per validator. A byzantine validator can sign
 * two different maximal proposals in every round; keeping them whole let it fill the disk
 * and memory, made every read of the evidence re-serialise megabytes, and queued votes'
 * safety writes behind megabytes of evidence. What proves an equivocation is two signed
 * statements for one round, and a proposal's signature covers only its header's hash, so
 * each side is kept as
 *   proposal: rlp([header encoding, signature])   (blockId = sha256(header encoding))
 *   vote:     rlp([round, blockId, signer, signature])
 * and checks against proposalDigest / voteDigest with the validator's key. A validator's
 * records stop at `evidenceBytesPerValidator` (its first record is always kept): the first
 * ones already prove it. Evidence has its own write queue: a persist never waits for it.
 * Records written whole by an earlier version are compacted when the store opens.
 */

import { RLP } from '@ethereumjs/rlp';
import { open, type RootDatabase } from 'lmdb';
import { decodeBlock, encodeBlock, encodeHeader, hashHeader } from '../chain/index.js';
import type { Block } from '../chain/types.js';
import {
  CONSENSUS_DIGEST_TAG,
  decodeProposal,
  decodeSafetyData,
  decodeVote,
  type Evidence,
  encodeSafetyData,
  type Proposal,
  type SafetyData,
  type SafetyStore,
  type Vote,
} from '../consensus/index.js';
import { bigintToBytes, equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { checkDataFile, StoreError, writeFailure } from '../store/index.js';
import { NodeError } from './errors.js';
import { DEFAULT_EVIDENCE_BYTES_PER_VALIDATOR } from './options.js';

const GENESIS_KEY = 'genesisHash';
const DIGEST_TAG_KEY = 'digestTag';
const SAFETY_KEY = 'safety';
const BLOCK_PREFIX = 'block:';
/** The first key after every block key (';' follows ':'). */
const BLOCK_END = 'block;';
const EVIDENCE_PREFIX = 'evidence:';
/** The first key after every evidence key (';' follows ':'). */
const EVIDENCE_END = 'evidence;';

/** Equivocation evidence as stored and served: the two signed statements, 0x-hex encoded. */
export interface EvidenceRecord {
  kind: Evidence['kind'];
  round: number;
  validator: number;
  /** The two contradicting statements in their compact encoding (see the file's header). */
  first: string;
  second: string;
  /** When this node recorded it (ms since epoch). */
  recordedAtMs: number;
}

export interface SafetyStoreOptions {
  /** Called once when a write fails: the node must stop rather than run without durability. */
  onFailure: (err: Error) => void;
  /** Evidence kept per validator, counted in stored bytes. */
  evidenceBytesPerValidator: number;
  /** false: refuse (SAFETY_DATA_MISSING) rather than create a store that is not there. */
  create: boolean;
}

type Nested = Uint8Array | Nested[];

/** The signed part of a proposal: its header (whose hash it signs) and the signature. */
export function compactProposal(p: Proposal): Uint8Array {
  return RLP.encode([encodeHeader(p.block.header), p.signature]);
}

/** The signed part of a vote: round, block id, signer and signature (not its sync info). */
export function compactVote(v: Vote): Uint8Array {
  return RLP.encode([
    bigintToBytes(BigInt(v.round)),
    v.blockId,
    bigintToBytes(BigInt(v.signer)),
    v.signature,
  ]);
}

/**
 * The compact form of one side of a record written by any version: an earlier version
 * kept the whole proposal (3 items) or vote (5 items) encoding.
 */
function compactSide(kind: Evidence['kind'], hex: string): string {
  const bytes = fromHex(hex);
  const items = RLP.decode(bytes) as Nested;
  if (!Array.isArray(items)) throw new Error('evidence side is not a list');
  if (kind === 'proposal' && items.length === 3) return toHex(compactProposal(decodeProposal(bytes)));
  if (kind === 'vote' && items.length === 5) return toHex(compactVote(decodeVote(bytes)));
  return hex;
}

const recordKey = (r: { kind: string; round: number; validator: number }) =>
  `${EVIDENCE_PREFIX}${r.kind}:${r.round}:${r.validator}`;

/**
 * The safety store as a validator's consensus uses it (src/node/consensus-lifecycle.ts): the
 * driver's writes, the data the core restarts from, and the equivocation evidence it saw.
 * An interface so the composed simulator runs the same lifecycle over its own in-memory
 * store (test/sim/node/memory-safety.ts) on simulated time.
 */
export interface ConsensusSafetyStore extends SafetyStore {
  load(): SafetyData | undefined;
  recordEvidence(e: Evidence, nowMs: number): void;
}

export class LmdbSafetyStore implements ConsensusSafetyStore {
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  /** Evidence writes, queued apart from the safety data's so a persist never waits for them. */
  private evidenceTail: Promise<void> = Promise.resolve();
  /** Every evidence record held, by key (what is on disk once the evidence queue drains). */
  private readonly evidenceRecords = new Map<string, EvidenceRecord>();
  /** Stored bytes of evidence per validator index. */
  private readonly evidenceBytes = new Map<number, number>();
  /** evidence() answer, rebuilt after a record is added. */
  private evidenceSorted: EvidenceRecord[] | undefined;
  /** Records refused because their validator's evidence budget was spent. */
  private dropped = 0;
  /** Keys of the blocks on disk once every queued write has landed. */
  private blockKeys: Set<string>;

  private constructor(
    private readonly env: RootDatabase<Buffer, string>,
    private readonly path: string,
    private readonly options: SafetyStoreOptions,
    /** True when this open created the store: no earlier process kept safety data here. */
    readonly created: boolean,
  ) {
    this.blockKeys = new Set(env.getKeys({ start: BLOCK_PREFIX, end: BLOCK_END }));
  }

  /**
   * Opens (or creates) the safety store at `path` for the chain of `genesisHash`. Damaged
   * safety data (a data file lmdb cannot read, records without their genesis record, a
   * safety record that does not decode) is refused with CORRUPT_STORE, never replaced: a
   * validator that forgets its last voted round could sign twice.
   */
  static async open(
    path: string,
    genesisHash: Uint8Array,
    options: Partial<SafetyStoreOptions> = {},
  ): Promise<LmdbSafetyStore> {
    const damaged = (why: string, cause?: unknown) =>
      new StoreError(
        'CORRUPT_STORE',
        `safety data at ${path} is damaged (${why}): this validator's last voted round cannot be read. Restore it, or move it aside and start with --reset-safety-data only if this key has not signed since`,
        { cause },
      );
    try {
      checkDataFile(path);
    } catch (err) {
      throw damaged((err as Error).message, err);
    }
    // overlappingSync off, as for the chain store (src/store/store.ts): on a full disk a
    // transaction must fail whole, never leave a record whose pages were not written
    const env = open<Buffer, string>({ path, encoding: 'binary', overlappingSync: false });
    const stored = env.getBinary(GENESIS_KEY);
    if (!stored) {
      for (const _ of env.getKeys({ limit: 1 })) {
        await env.close();
        throw damaged('records without a genesis record');
      }
    }
    if (stored && !equalBytes(stored, genesisHash)) {
      await env.close();
      throw new NodeError(
        'DATA_DIR_MISMATCH',
        `safety data at ${path} belongs to the chain with genesis ${toHex(stored)}, not ${toHex(genesisHash)}`,
      );
    }
    const tag = env.getBinary(DIGEST_TAG_KEY)?.toString('utf8');
    if (stored && tag !== CONSENSUS_DIGEST_TAG) {
      await env.close();
      throw new StoreError(
        'UNSUPPORTED_FORMAT',
        `safety data at ${path} holds certificates signed under ${tag ?? 'bft-ledger/consensus/v1'}, and this node signs and checks ${CONSENSUS_DIGEST_TAG} (docs/PROTOCOL.md): its QCs would not verify, so the network could not start. This is a new protocol: start this network from fresh data directories (move this one and the chain store aside). A key that signed only under the old tag cannot double-sign under the new one`,
      );
    }
    if (!stored && options.create === false) {
      await env.close();
      throw new NodeError('SAFETY_DATA_MISSING', `no safety data at ${path}`);
    }
    if (!stored) {
      try {
        await env.put(GENESIS_KEY, Buffer.from(genesisHash));
        await env.put(DIGEST_TAG_KEY, Buffer.from(CONSENSUS_DIGEST_TAG, 'utf8'));
        await env.flushed;
      } catch (err) {
        await env.close();
        throw writeFailure(err, path, 'the safety data');
      }
    }
    const store = new LmdbSafetyStore(
      env,
      path,
      {
        onFailure: options.onFailure ?? (() => {}),
        evidenceBytesPerValidator: options.evidenceBytesPerValidator ?? DEFAULT_EVIDENCE_BYTES_PER_VALIDATOR,
        create: options.create ?? true,
      },
      !stored,
    );
    try {
      store.load();
    } catch (err) {
      await env.close();
      throw damaged(`its safety record does not decode: ${(err as Error).message}`, err);
    }
    try {
      await store.loadEvidence();
    } catch (err) {
      await env.close();
      throw writeFailure(err, path, 'the safety data');
    }
    return store;
  }

  /**
   * Reads the evidence on disk into memory, compacting records an earlier version wrote
   * whole and dropping those over their validator's budget (lowest rounds kept).
   */
  private async loadEvidence(): Promise<void> {
    const loaded: { key: string; record: EvidenceRecord; compacted: boolean }[] = [];
    for (const { key, value } of this.env.getRange({ start: EVIDENCE_PREFIX, end: EVIDENCE_END })) {
      try {
        const stored = JSON.parse(Buffer.from(value).toString('utf8')) as EvidenceRecord;
        const record = {
          ...stored,
          first: compactSide(stored.kind, stored.first),
          second: compactSide(stored.kind, stored.second),
        };
        loaded.push({
          key,
          record,
          compacted: record.first !== stored.first || record.second !== stored.second,
        });
      } catch {
        // a damaged record is skipped, not a reason to hide the others
      }
    }
    // keys sort as strings ('10' before '9'): the budget keeps the earliest rounds
    loaded.sort((a, b) => a.record.round - b.record.round || a.key.localeCompare(b.key));
    const puts: [string, EvidenceRecord][] = [];
    const removals: string[] = [];
    for (const { key, record, compacted } of loaded) {
      if (!this.admitEvidence(key, record)) removals.push(key);
      else if (compacted) puts.push([key, record]);
    }
    if (puts.length === 0 && removals.length === 0) return;
    await this.env.batch(() => {
      for (const [key, record] of puts) this.env.put(key, Buffer.from(JSON.stringify(record)));
      for (const key of removals) this.env.remove(key);
    });
  }

  /** Holds the record in memory if its validator's budget has room; false if refused. */
  private admitEvidence(key: string, record: EvidenceRecord): boolean {
    const used = this.evidenceBytes.get(record.validator) ?? 0;
    const size = Buffer.byteLength(JSON.stringify(record));
    if (used > 0 && used + size > this.options.evidenceBytesPerValidator) {
      this.dropped++;
      return false;
    }
    this.evidenceBytes.set(record.validator, used + size);
    this.evidenceRecords.set(key, record);
    this.evidenceSorted = undefined;
    return true;
  }

  /** The last durable safety data, if any. */
  load(): SafetyData | undefined {
    const v = this.env.getBinary(SAFETY_KEY);
    if (!v) return undefined;
    const data = decodeSafetyData(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (data.blocks && data.blocks.length > 0) return data; // the earlier, inline format
    const blocks: Block[] = [];
    for (const { value } of this.env.getRange({ start: BLOCK_PREFIX, end: BLOCK_END }))
      blocks.push(decodeBlock(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
    blocks.sort((a, b) => a.header.height - b.header.height);
    return { ...data, blocks };
  }

  persist(data: SafetyData, durable: () => void): void {
    const record = Buffer.from(encodeSafetyData({ ...data, blocks: undefined }));
    const keys = new Set<string>();
    const added: [string, Buffer][] = [];
    for (const block of data.blocks ?? []) {
      const key = `${BLOCK_PREFIX}${toHex(hashHeader(block.header))}`;
      keys.add(key);
      if (!this.blockKeys.has(key)) added.push([key, Buffer.from(encodeBlock(block))]);
    }
    const removed = [...this.blockKeys].filter((key) => !keys.has(key));
    this.blockKeys = keys;
    this.tail = this.tail.then(async () => {
      if (this.failure || this.closed) return; // never acknowledge what is not on disk
      try {
        // one batch: the record and its blocks land together or not at all
        await this.env.batch(() => {
          this.env.put(SAFETY_KEY, record);
          for (const [key, bytes] of added) this.env.put(key, bytes);
          for (const key of removed) this.env.remove(key);
        });
        await this.env.flushed;
      } catch (err) {
        this.fail(writeFailure(err, this.path, 'the safety data'));
        return;
      }
      durable();
    });
  }

  /**
   * Keeps equivocation evidence, compact, once per kind, round and validator, within the
   * validator's byte budget. Written on the evidence queue: never ahead of a persist.
   */
  recordEvidence(e: Evidence, nowMs: number): void {
    const key = recordKey(e);
    if (this.closed || this.evidenceRecords.has(key)) return;
    const [first, second] =
      e.kind === 'proposal'
        ? [compactProposal(e.first), compactProposal(e.second)]
        : [compactVote(e.first), compactVote(e.second)];
    const record: EvidenceRecord = {
      kind: e.kind,
      round: e.round,
      validator: e.validator,
      first: toHex(first),
      second: toHex(second),
      recordedAtMs: nowMs,
    };
    if (!this.admitEvidence(key, record)) return;
    const bytes = Buffer.from(JSON.stringify(record));
    this.evidenceTail = this.evidenceTail.then(async () => {
      if (this.failure || this.closed) return;
      try {
        await this.env.put(key, bytes);
      } catch (err) {
        this.fail(writeFailure(err, this.path, 'the safety data'));
      }
    });
  }

  /** Evidence records refused (their validator's budget was spent) since the store opened. */
  get evidenceDropped(): number {
    return this.dropped;
  }

  /** Every piece of evidence held, by kind, then round, then validator. */
  evidence(): EvidenceRecord[] {
    this.evidenceSorted ??= [...this.evidenceRecords.values()].sort(
      (a, b) => a.kind.localeCompare(b.kind) || a.round - b.round || a.validator - b.validator,
    );
    return this.evidenceSorted.slice();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.options.onFailure(err);
  }

  /** Resolves when every persist and evidence write issued so far has landed (or failed). */
  async drained(): Promise<void> {
    await Promise.all([this.tail, this.evidenceTail]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    this.closed = true;
    // After a failed write (reported through onFailure, never acknowledged) the close is
    // started, not awaited (with overlappingSync, off since, lmdb-js settled neither
    // `flushed` nor `close()` then).
    if (!this.failure) {
      try {
        await this.env.flushed;
      } catch (err) {
        this.fail(writeFailure(err, this.path, 'the safety data'));
      }
    }
    const closing = this.env.close();
    if (!this.failure) await closing;
    else closing.catch(() => {});
  }
}
