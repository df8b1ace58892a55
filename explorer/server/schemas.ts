/**
 * The API's schemas, zod 4, one source of truth: request parameters are parsed by them
 * (validation.ts), and the OpenAPI document (openapi.ts) is generated from them and from
 * the response schemas below, which are registered in `API_COMPONENTS` under the names
 * the document's components use. Each response schema is checked at compile time against
 * its type in reader.ts (the `Same` assertions at the end), so the two cannot drift apart.
 */
import { z } from 'zod';
import type { AccountProofJson, TxProofJson } from '../../src/client/index.js';
import { parseAddress } from '../../src/crypto/keys.js';
import type {
  AccountView,
  BlockDetail,
  BlockSummary,
  CommittedTx,
  EvidenceView,
  NodeStatus,
  Page,
  PeerView,
  PendingTx,
  StatsView,
  TxDetail,
  TxStatus,
  ValidatorsView,
} from './reader.js';
import { MAX_PAGE_LIMIT } from './reader.js';

/** Items per page when a list request gives no `limit`. */
export const DEFAULT_PAGE_LIMIT = 25;
/** Longest cursor the API reads: the reader's cursors are far shorter. */
export const MAX_CURSOR_CHARS = 256;
/** Longest search string: the longest thing it can name is a 66-character hash. */
export const MAX_SEARCH_CHARS = 200;

// ------------------------------------------------------------------ request parameters

const DECIMAL_RE = /^(?:0|[1-9][0-9]*)$/;
const HASH_INPUT_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_INPUT_RE = /^0x[0-9a-fA-F]{40}$/;
const CURSOR_RE = /^[A-Za-z0-9_-]+$/;

/** A height as text: decimal, no sign, no leading zero, a safe integer. */
export const heightText = z
  .string()
  .max(16)
  .regex(DECIMAL_RE)
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

const hexBytes = (text: string) => new Uint8Array(Buffer.from(text.slice(2), 'hex'));

function hasValidChecksum(address: string): boolean {
  try {
    parseAddress(address);
    return true;
  } catch {
    return false;
  }
}

/** A 32-byte hash as text, either case; parsed to its bytes. */
export const hashText = z.string().max(66).regex(HASH_INPUT_RE).transform(hexBytes);

/**
 * A 20-byte address as text: all lower or all upper case, or mixed case with a valid EIP-55
 * checksum (a wrong one is a typo, refused as wallets refuse it); parsed to its bytes.
 */
export const addressText = z
  .string()
  .max(42)
  .regex(ADDRESS_INPUT_RE)
  .refine(hasValidChecksum, { message: 'wrong EIP-55 checksum' })
  .transform(hexBytes);

/** A block named by height or by hash. */
export const blockIdText = z
  .string()
  .max(66)
  .regex(/^(?:0|[1-9][0-9]{0,15}|0x[0-9a-fA-F]{64})$/)
  .transform((text): { height: number } | { hash: Uint8Array } =>
    text.startsWith('0x') ? { hash: hexBytes(text) } : { height: Number(text) },
  )
  .refine((id) => !('height' in id) || Number.isSafeInteger(id.height));

const limitText = z
  .string()
  .max(3)
  .regex(DECIMAL_RE)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE_LIMIT));

export const cursorText = z.string().min(1).max(MAX_CURSOR_CHARS).regex(CURSOR_RE);

export type SearchTarget =
  | { kind: 'height'; height: number }
  | { kind: 'hash'; hash: Uint8Array }
  | { kind: 'address'; address: Uint8Array };

/** What a search string names: a height, a 32-byte hash or a 20-byte address; else invalid. */
export const searchText = z
  .string()
  .max(MAX_SEARCH_CHARS)
  .transform((raw, ctx): SearchTarget => {
    const text = raw.trim();
    if (DECIMAL_RE.test(text) && text.length <= 16 && Number.isSafeInteger(Number(text)))
      return { kind: 'height', height: Number(text) };
    if (HASH_INPUT_RE.test(text)) return { kind: 'hash', hash: hexBytes(text) };
    if (ADDRESS_INPUT_RE.test(text) && hasValidChecksum(text))
      return { kind: 'address', address: hexBytes(text) };
    ctx.addIssue({ code: 'custom', message: 'not a height, hash or address' });
    return z.NEVER;
  });

/**
 * One request parameter: its schema, the error code and sentence a client gets when it
 * fails, and whether it must be given. The sentence doubles as its OpenAPI description.
 */
export interface ParamSpec {
  schema: z.ZodType;
  code: string;
  message: string;
  required?: boolean;
}

export type ParamTable = Record<string, ParamSpec>;

export const PARAMS = {
  limit: {
    schema: limitText,
    code: 'INVALID_LIMIT',
    message: `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT}; a larger one is refused, not capped)`,
  },
  cursor: {
    schema: cursorText,
    code: 'INVALID_CURSOR',
    message: 'cursor must be the `next` of an earlier page of the same list',
  },
  before: {
    schema: heightText,
    code: 'INVALID_HEIGHT',
    message: 'before must be a block height (decimal, no sign or leading zeros): the page starts below it',
  },
  height: {
    schema: heightText,
    code: 'INVALID_HEIGHT',
    message: 'height must be a block height (decimal, no sign or leading zeros) within the provable window',
  },
  since: {
    schema: heightText,
    code: 'INVALID_SINCE',
    message: 'since must be a block height: the stream starts with the block after it (Last-Event-ID wins)',
  },
  lastEventId: {
    schema: heightText,
    code: 'INVALID_LAST_EVENT_ID',
    message: 'Last-Event-ID must be the id of a block event: a block height',
  },
  txHash: {
    schema: hashText,
    code: 'INVALID_HASH',
    message: 'hash must be 0x followed by 64 hex digits',
    required: true,
  },
  blockId: {
    schema: blockIdText,
    code: 'INVALID_BLOCK_ID',
    message:
      'heightOrHash must be a block height (decimal, no sign or leading zeros) or 0x and 64 hex digits',
    required: true,
  },
  address: {
    schema: addressText,
    code: 'INVALID_ADDRESS',
    message: 'address must be 0x followed by 40 hex digits (mixed case only with a valid EIP-55 checksum)',
    required: true,
  },
  q: {
    schema: searchText,
    code: 'INVALID_QUERY',
    message: `q must be a block height, a 0x-prefixed 32-byte hash (block or transaction) or a 20-byte address, at most ${MAX_SEARCH_CHARS} characters`,
    required: true,
  },
} satisfies Record<string, ParamSpec>;

// ------------------------------------------------------------------ responses

/** Response schemas by their OpenAPI component name. */
export const API_COMPONENTS = z.registry<{ id: string; description?: string }>();

function component<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  API_COMPONENTS.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

const Hash = z.string().regex(/^0x[0-9a-f]{64}$/);
const Address = z.string().regex(/^0x[0-9a-f]{40}$/);
const Hex = z.string().regex(/^0x(?:[0-9a-f]{2})*$/);
const Wei = z.string().regex(DECIMAL_RE).describe('an amount in wei, as a decimal string');
const Decimal = z.string().regex(DECIMAL_RE);
const Height = z.number().int().min(0);
const Count = z.number().int().min(0);
const Share = z.number().min(0).max(1);
const Ms = z.number().int().min(0);

export const ErrorBody = component(
  'Error',
  z.object({
    error: z.string().regex(/^[A-Z0-9_]+$/),
    message: z.string(),
  }),
  'Every refusal: a stable code and a sentence for people.',
);

export const NodeStatusSchema = component(
  'NodeStatus',
  z.object({
    chainId: z.string(),
    height: Height,
    headHash: Hash,
    round: Count,
    leader: z.object({ index: Count, name: z.string(), address: Address }).nullable(),
    syncing: z.boolean(),
    peers: Count,
    mempoolSize: Count,
    role: z.enum(['validator', 'observer']),
    validator: Count.optional(),
    peerId: z.string(),
    waitingForGenesis: z.boolean().optional(),
    startsAtMs: Ms.optional(),
  }),
);

export const PeerViewSchema = component(
  'Peer',
  z.object({
    peerId: z.string(),
    role: z.enum(['validator', 'observer', 'unknown']),
    validator: Count.optional(),
    name: z.string().optional(),
    score: z.number(),
  }),
);

export const PeersBody = component('Peers', z.object({ peers: z.array(PeerViewSchema) }));

export const EvidenceViewSchema = component(
  'Evidence',
  z.object({
    kind: z.enum(['proposal', 'vote']),
    round: Count,
    validator: Count,
    name: z.string(),
    first: Hex,
    second: Hex,
    recordedAtMs: Ms,
  }),
);

export const EvidenceBody = component('EvidenceList', z.object({ evidence: z.array(EvidenceViewSchema) }));

const Counters = z.looseObject({});

export const MetricsBody = component(
  'Metrics',
  z.object({
    mempool: Counters,
    network: Counters.nullable(),
    consensus: Counters.nullable(),
    eventLoop: z
      .object({ p50Ms: z.number().min(0), p99Ms: z.number().min(0), maxMs: z.number().min(0) })
      .optional()
      .describe("The node's event-loop delay since the previous read of the metrics, in ms."),
    http: z.object({
      refused: z.record(z.string(), Count),
      connectionsRefused: Count,
      unparsedRequests: Count,
    }),
  }),
  'Counters for operators; the mempool, network and consensus objects list their own counters.',
);

export const SubmitAccepted = component(
  'SubmitAccepted',
  z.object({ hash: Hash, queued: z.literal(true).optional() }),
  'Admitted and journaled; `queued` behind a nonce gap.',
);

export const SubmitResults = component(
  'SubmitResults',
  z.object({
    results: z.array(
      z.union([SubmitAccepted, z.object({ error: z.string(), message: z.string(), hash: Hash.optional() })]),
    ),
  }),
);

export const SubmitRejected = component(
  'SubmitRejected',
  z.object({ error: z.string().regex(/^[A-Z0-9_]+$/), message: z.string(), hash: Hash.optional() }),
);

/** The body of POST /txs (documented only: validation.ts parses it byte by byte first). */
export const SubmitBody = z.union([
  z.string().max(2 + 2 * 512),
  z
    .array(z.string().max(2 + 2 * 512))
    .min(1)
    .max(1000),
]);

export const ValidatorRefSchema = component(
  'ValidatorRef',
  z.object({ index: Count, name: z.string(), address: Address }),
);

export const ProposerSchema = component(
  'Proposer',
  z.object({ index: z.number().int().min(-1), name: z.string(), address: Address }),
  'The validator that proposed a block; index -1 (and no name) for genesis, which no validator proposed.',
);

export const BlockSummarySchema = component(
  'BlockSummary',
  z.object({
    height: Height,
    hash: Hash,
    parentHash: Hash,
    round: Count,
    timestampMs: Ms,
    proposer: ProposerSchema,
    txCount: Count,
    sizeBytes: Count,
    gasUsed: Decimal,
    fees: Wei,
    burned: Wei,
  }),
);

export const QcMemberSchema = component(
  'QcMember',
  z.object({ index: Count, name: z.string(), address: Address, power: Count, signed: z.boolean() }),
  '`signed` false is "not in this QC", never "missed": a QC holds exactly a quorum.',
);

export const QcViewSchema = component(
  'Qc',
  z.object({
    round: Count,
    blockHash: Hash,
    quorum: Count,
    votingPower: Count,
    members: z.array(QcMemberSchema),
  }),
);

const TransferFields = {
  hash: Hash,
  from: Address,
  to: Address,
  value: Wei,
  nonce: Decimal,
  gasLimit: Decimal,
  maxFeePerGas: Wei,
  maxPriorityFeePerGas: Wei,
};

export const CommittedTxSchema = component(
  'CommittedTx',
  z.object({
    ...TransferFields,
    status: z.literal('committed'),
    height: Height,
    index: Count,
    blockHash: Hash,
    timestampMs: Ms,
    receipt: z.object({ status: z.literal(1), gasUsed: Decimal, effectiveGasPrice: Wei, fee: Wei }),
  }),
);

export const PendingTxSchema = component(
  'PendingTx',
  z.object({
    ...TransferFields,
    status: z.literal('pending'),
    queued: z.literal(true).optional(),
    receivedAtMs: Ms,
  }),
);

export const UnknownTxSchema = component(
  'UnknownTx',
  z.object({ hash: Hash, status: z.literal('unknown') }),
  'Neither committed up to this node’s head nor in its mempool.',
);

export const TxDetailSchema = component(
  'TxDetail',
  z.discriminatedUnion('status', [CommittedTxSchema, PendingTxSchema, UnknownTxSchema]),
);

/** The short status of GET /txs/:hash when the node serves no explorer reads. */
export const TxStatusSchema = z.discriminatedUnion('status', [
  z.object({ hash: Hash, status: z.literal('pending'), queued: z.literal(true).optional() }),
  z.object({ hash: Hash, status: z.literal('committed'), height: Height, index: Count }),
  UnknownTxSchema,
]);

const pageOf = <T extends z.ZodType>(id: string, item: T) =>
  component(
    id,
    z.object({ items: z.array(item), next: cursorText.nullable() }),
    'A keyset page, newest first; pass `next` back as `cursor` for the following page (null: the last).',
  );

export const BlockPage = pageOf('BlockPage', BlockSummarySchema);
export const CommittedTxPage = pageOf('CommittedTxPage', CommittedTxSchema);
export const PendingTxPage = pageOf('PendingTxPage', PendingTxSchema);

export const BlockDetailSchema = component(
  'BlockDetail',
  z.object({
    ...BlockSummarySchema.shape,
    chainId: z.string(),
    stateRoot: Hash,
    txRoot: Hash,
    parentQc: QcViewSchema.nullable(),
    qc: QcViewSchema.nullable(),
  }),
);

export const BlockWithTxs = component(
  'BlockWithTxs',
  z.object({ ...BlockDetailSchema.shape, txs: CommittedTxPage }),
  'A block and the first page of its transactions (in block order; more at /blocks/{heightOrHash}/txs).',
);

export const AccountViewSchema = component(
  'Account',
  z.object({ address: Address, balance: Wei, nonce: Decimal, pendingNonce: Decimal, exists: z.boolean() }),
);

export const ValidatorsBody = component(
  'Validators',
  z.object({
    window: z.object({ fromHeight: Height, toHeight: Height, blocks: Count }),
    quorum: Count,
    validators: z.array(
      z.object({
        ...ValidatorRefSchema.shape,
        peerId: z.string(),
        power: Count,
        proposals: z.object({ made: Count, missed: Count }),
        qcShare: Share,
        uptime: Share.nullable(),
        evidence: Count,
      }),
    ),
  }),
);

export const StatsBody = component(
  'Stats',
  z.object({
    height: Height,
    totalTxs: Count,
    totalAccounts: Count,
    windows: z.array(
      z.object({
        blocks: Count,
        seconds: z.number().min(0),
        txPerSecond: z.number().min(0),
        meanBlockTimeMs: z.number().min(0),
        roundsPerBlock: z.number().min(0),
      }),
    ),
    recent: z.array(z.object({ height: Height, timestampMs: Ms, txCount: Count, round: Count })),
  }),
);

export const SearchResult = component(
  'SearchResult',
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('block'), height: Height, hash: Hash }),
    z.object({
      kind: z.literal('tx'),
      hash: Hash,
      status: z.enum(['committed', 'pending']),
      height: Height.optional(),
    }),
    z.object({ kind: z.literal('account'), address: Address, exists: z.boolean() }),
  ]),
  'What a search string names; the pages redirect to it.',
);

// The client proofs (src/client/json.ts, docs/FORMATS.md "Client proofs"): addresses are
// EIP-55 here, as the client library writes and reads them.
const ChecksumAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const U64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const HeaderJsonSchema = component(
  'HeaderProof',
  z.object({
    chainId: Decimal,
    height: U64,
    round: U64,
    parentHash: Hash,
    proposer: ChecksumAddress,
    timestampMs: U64,
    txRoot: Hash,
    stateRoot: Hash,
    receiptsRoot: Hash,
    parentQc: Hex,
  }),
  'A block header, field by field; its id is sha256 of its canonical encoding.',
);

const CommitProofJsonSchema = component(
  'CommitProof',
  z.object({
    header: HeaderJsonSchema,
    chain: z.array(HeaderJsonSchema),
    child: HeaderJsonSchema,
    childQc: Hex,
  }),
  'Proof of commit: the block, its descendants up to the committed block D, D’s child one round later, and the QC of that child.',
);

export const TxProofBody = component(
  'TxProof',
  z.object({
    commit: CommitProofJsonSchema,
    inclusion: z.object({ txHash: Hash, index: U64, total: U64, siblings: z.array(Hash) }),
    receipt: z.object({
      from: ChecksumAddress,
      to: ChecksumAddress,
      status: z.literal(1),
      gasUsed: Decimal,
      effectiveGasPrice: Wei,
      fee: Wei,
      siblings: z.array(Hash),
    }),
  }),
  'A committed transaction’s proof: its block’s proof of commit, its inclusion under txRoot and its receipt under receiptsRoot (src/client verifyCommittedTx checks it).',
);

export const AccountProofBody = component(
  'AccountProof',
  z.object({
    commit: CommitProofJsonSchema,
    account: z.object({
      address: ChecksumAddress,
      exists: z.boolean(),
      balance: Wei,
      nonce: Decimal,
      proof: Hex,
    }),
  }),
  'An account’s state, or its absence, proven under the state root of a committed block (src/client verifyCommittedAccount checks it).',
);

export const BlockEvent = component(
  'BlockEvent',
  z.object({ ...BlockSummarySchema.shape, txs: z.array(CommittedTxSchema) }),
  'SSE `block` (id: the height): a committed block and its first transactions (txCount tells how many it has).',
);

export const ResetEvent = component(
  'ResetEvent',
  z.object({ head: Height, reason: z.enum(['too-far-behind', 'ahead-of-head']) }),
  'SSE `reset`: the stream cannot resume where the client left off; reload, then follow from `head`.',
);

// ------------------------------------------------------------------ drift checks

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<S extends z.ZodType> = z.output<S>;

/** Compile-time: each response schema describes exactly its type in reader.ts. */
export const SCHEMAS_MATCH_READER_TYPES: [
  Same<Out<typeof NodeStatusSchema>, NodeStatus>,
  Same<Out<typeof PeerViewSchema>, PeerView>,
  Same<Out<typeof EvidenceViewSchema>, EvidenceView>,
  Same<Out<typeof BlockSummarySchema>, BlockSummary>,
  Same<Out<typeof BlockDetailSchema>, BlockDetail>,
  Same<Out<typeof CommittedTxSchema>, CommittedTx>,
  Same<Out<typeof PendingTxSchema>, PendingTx>,
  Same<Out<typeof TxDetailSchema>, TxDetail>,
  Same<Out<typeof TxStatusSchema>, TxStatus>,
  Same<Out<typeof BlockPage>, Page<BlockSummary>>,
  Same<Out<typeof AccountViewSchema>, AccountView>,
  Same<Out<typeof ValidatorsBody>, ValidatorsView>,
  Same<Out<typeof StatsBody>, StatsView>,
  Same<Out<typeof TxProofBody>, TxProofJson>,
  Same<Out<typeof AccountProofBody>, AccountProofJson>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
