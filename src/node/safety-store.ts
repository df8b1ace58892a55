/**
 * The consensus safety data [S1, S2] in its own small lmdb environment under the data
 * directory (`<data>/safety`), apart from the ledger store: it is rewritten on every vote
 * and timeout, and only the latest value matters.
 *
 *   meta  'genesisHash' -> the chain's genesis block hash (refuses another chain's data)
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
 *                          this node saw: both signed messages, so anyone can check them)
 *
 * `persist` calls `durable` only after the write is flushed to disk, in call order; the
 * driver holds the vote / timeout / proposal back until then, so a vote leaves only after
 * its safety data is on disk.
 */
import { open, type RootDatabase } from 'lmdb';
import { decodeBlock, encodeBlock, hashHeader } from '../chain/index.js';
import type { Block } from '../chain/types.js';
import {
  decodeSafetyData,
  type Evidence,
  encodeProposal,
  encodeSafetyData,
  encodeVote,
  type SafetyData,
  type SafetyStore,
} from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { NodeError } from './errors.js';

const GENESIS_KEY = 'genesisHash';
const SAFETY_KEY = 'safety';
const BLOCK_PREFIX = 'block:';
/** The first key after every block key (';' follows ':'). */
const BLOCK_END = 'block;';
const EVIDENCE_PREFIX = 'evidence:';
/** The first key after every evidence key (';' follows ':'). */
const EVIDENCE_END = 'evidence;';
const MAX_EVIDENCE_RECORDS = 1000;

/** Equivocation evidence as stored and served: the two signed messages, 0x-hex encoded. */
export interface EvidenceRecord {
  kind: Evidence['kind'];
  round: number;
  validator: number;
  /** The two contradicting messages in their wire encoding (proposal or vote encoding). */
  first: string;
  second: string;
  /** When this node recorded it (ms since epoch). */
  recordedAtMs: number;
}

export class LmdbSafetyStore implements SafetyStore {
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  /** Evidence keys written in this process (their puts may still be in flight). */
  private readonly evidenceKeys = new Set<string>();
  /** Evidence records held (counted on first use). */
  private evidenceCount: number | undefined;
  /** Keys of the blocks on disk once every queued write has landed. */
  private blockKeys: Set<string>;

  private constructor(
    private readonly env: RootDatabase<Buffer, string>,
    private readonly onFailure: (err: Error) => void,
  ) {
    this.blockKeys = new Set(env.getKeys({ start: BLOCK_PREFIX, end: BLOCK_END }));
  }

  /** Opens (or creates) the safety store at `path` for the chain of `genesisHash`. */
  static async open(
    path: string,
    genesisHash: Uint8Array,
    onFailure: (err: Error) => void = () => {},
  ): Promise<LmdbSafetyStore> {
    const env = open<Buffer, string>({ path, encoding: 'binary' });
    const stored = env.getBinary(GENESIS_KEY);
    if (stored && !equalBytes(stored, genesisHash)) {
      await env.close();
      throw new NodeError(
        'DATA_DIR_MISMATCH',
        `safety data at ${path} belongs to the chain with genesis ${toHex(stored)}, not ${toHex(genesisHash)}`,
      );
    }
    if (!stored) {
      await env.put(GENESIS_KEY, Buffer.from(genesisHash));
      await env.flushed;
    }
    return new LmdbSafetyStore(env, onFailure);
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
        this.failure = err as Error;
        this.onFailure(this.failure);
        return;
      }
      durable();
    });
  }

  /**
   * Keeps equivocation evidence (once per kind, round and validator, at most
   * MAX_EVIDENCE_RECORDS: a byzantine leader could equivocate in every round it leads, and
   * the first records already prove it). A failed write is a storage failure like any other.
   */
  recordEvidence(e: Evidence, nowMs: number): void {
    const key = `${EVIDENCE_PREFIX}${e.kind}:${e.round}:${e.validator}`;
    if (this.closed || this.evidenceKeys.has(key) || this.env.get(key) !== undefined) return;
    this.evidenceCount ??= this.evidenceKeysOnDisk();
    if (this.evidenceCount >= MAX_EVIDENCE_RECORDS) return;
    this.evidenceCount++;
    this.evidenceKeys.add(key);
    const [first, second] =
      e.kind === 'proposal'
        ? [encodeProposal(e.first), encodeProposal(e.second)]
        : [encodeVote(e.first), encodeVote(e.second)];
    const record: EvidenceRecord = {
      kind: e.kind,
      round: e.round,
      validator: e.validator,
      first: toHex(first),
      second: toHex(second),
      recordedAtMs: nowMs,
    };
    this.tail = this.tail.then(async () => {
      if (this.failure || this.closed) return;
      try {
        await this.env.put(key, Buffer.from(JSON.stringify(record)));
      } catch (err) {
        // never leave the chain rejected: safety writes queued behind must still run or fail
        this.failure = err as Error;
        this.onFailure(this.failure);
      }
    });
  }

  private evidenceKeysOnDisk(): number {
    return this.env.getKeysCount({ start: EVIDENCE_PREFIX, end: EVIDENCE_END });
  }

  /** Every piece of evidence recorded, by kind, then round, then validator. */
  evidence(): EvidenceRecord[] {
    const out: EvidenceRecord[] = [];
    for (const { value } of this.env.getRange({ start: EVIDENCE_PREFIX, end: EVIDENCE_END })) {
      try {
        out.push(JSON.parse(Buffer.from(value).toString('utf8')) as EvidenceRecord);
      } catch {
        // a damaged record is skipped, not a reason to hide the others
      }
    }
    return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.round - b.round || a.validator - b.validator);
  }

  /** Resolves when every persist issued so far has landed (or failed). */
  async drained(): Promise<void> {
    await this.tail;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    await this.env.flushed;
    await this.env.close();
  }
}
