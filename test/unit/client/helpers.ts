/**
 * A small certified chain for the client library's tests: four validators with real
 * secp256k1 keys in a genesis document (parsed as a wallet would), blocks of real
 * transfers with real tx and state roots, each with the QC that certifies it, and a
 * builder of proofs of commit over them.
 */
import {
  buildGenesisBlock,
  executeBlock,
  hashHeader,
  type LedgerView,
  merkleRoot,
} from '../../../src/chain/index.js';
import type { BlockHeader } from '../../../src/chain/types.js';
import { type CommitProof, commitsParent, trustFromGenesis } from '../../../src/client/index.js';
import { MemoryTreeStore } from '../../../src/commitment/index.js';
import {
  encodeQc,
  genesisQc,
  type QuorumCertificate,
  secp256k1Signer,
  voteDigest,
} from '../../../src/consensus/index.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import {
  type Genesis,
  type GenesisJson,
  genesisDocumentHash,
  parseGenesis,
  peerIdOfPublicKey,
} from '../../../src/genesis/index.js';
import { AccountState, type Receipt } from '../../../src/state/index.js';
import { recoverSender, signTransfer, type VerifiedTransfer } from '../../../src/tx/index.js';
import { CHAIN_ID, GWEI, PARAMS, testSecrets } from '../../support/ledger-fixture.js';

export { CHAIN_ID };
export const VALIDATOR_SECRETS = testSecrets(4, 'client-validators');
export const STRANGER_SECRETS = testSecrets(8, 'client-strangers');
export const SENDERS = testSecrets(4, 'client-senders');

export function genesisJson(chainId = CHAIN_ID): GenesisJson {
  return {
    chainId: chainId.toString(),
    genesisTimeMs: 1_764_000_000_000,
    validators: VALIDATOR_SECRETS.map((secret, i) => {
      const publicKey = publicKeyOf(secret, true);
      return {
        name: `v${i}`,
        address: toChecksumAddress(addressOf(secret)),
        publicKey: toHex(publicKey),
        peerId: peerIdOfPublicKey(publicKey),
        power: 1,
      };
    }),
    alloc: Object.fromEntries(SENDERS.map((s) => [toChecksumAddress(addressOf(s)), (10n ** 24n).toString()])),
    params: {
      maxBlockTxs: 100,
      maxBlockBytes: 1 << 20,
      baseRoundTimeoutMs: 1000,
      baseFeePerGas: PARAMS.baseFeePerGas.toString(),
    },
  };
}

export const GENESIS: Genesis = parseGenesis(genesisJson());
export const TRUST = trustFromGenesis(GENESIS);

/** A QC for (round, blockId) signed by `signers` with `secrets` (default: the validators') over `chainId`'s digest. */
export function signQc(
  round: number,
  blockId: Uint8Array,
  signers: number[] = [0, 1, 2],
  opts: { secrets?: Uint8Array[]; chainId?: bigint; genesisId?: Uint8Array } = {},
): QuorumCertificate {
  const secrets = opts.secrets ?? VALIDATOR_SECRETS;
  const domain = {
    chainId: opts.chainId ?? CHAIN_ID,
    genesisId: opts.genesisId ?? TRUST.validatorSet.genesisId,
  };
  const digest = voteDigest(domain, round, blockId);
  return {
    round,
    blockId,
    signers,
    signatures: signers.map((i) => secp256k1Signer(secrets[i % secrets.length]).sign(digest)),
  };
}

export interface TestBlock {
  header: BlockHeader;
  id: Uint8Array;
  /** The encoded QC certifying this block (what its child carries as parentQc). */
  qc: Uint8Array;
  transfers: VerifiedTransfer[];
  receipts: Receipt[];
  /** State and tree after this block. */
  view: LedgerView;
}

/**
 * Genesis and `length` blocks on it; block h is `roundStep(h)` rounds after its parent
 * (1 keeps a 2-chain, more is a round lost to a timeout) and holds h % 3 transfers.
 * `chainId` other than the genesis one builds another network's chain with the same keys.
 */
export function buildChain(
  length: number,
  roundStep: (height: number) => number = () => 1,
  chainId = CHAIN_ID,
): TestBlock[] {
  const genesisDoc = chainId === CHAIN_ID ? GENESIS : parseGenesis(genesisJson(chainId));
  const gb = buildGenesisBlock({
    chainId,
    timestampMs: genesisDoc.genesisTimeMs,
    alloc: genesisDoc.alloc.map((a) => [a.address, a.balance] as const),
    documentHash: genesisDocumentHash(genesisDoc),
  });
  const tree = new MemoryTreeStore();
  tree.apply(gb.treeUpdate);
  const genesisView: LedgerView = {
    state: AccountState.fromEntries(gb.accountChanges.map((c) => [c.address, c.account])),
    tree,
  };
  const blocks: TestBlock[] = [
    {
      header: gb.block.header,
      id: gb.hash,
      qc: encodeQc(genesisQc(gb.hash)),
      transfers: [],
      receipts: [],
      view: genesisView,
    },
  ];
  const params = { ...PARAMS, chainId };
  for (let h = 1; h <= length; h++) {
    const parent = blocks[h - 1];
    const transfers = Array.from({ length: h % 3 }, (_, i) => {
      const from = SENDERS[(h + i) % SENDERS.length];
      const nonce = parent.view.state.getAccount(addressOf(from))?.nonce ?? 0n;
      const to = addressOf(SENDERS[(h + i + 1) % SENDERS.length]);
      const tx = { chainId, nonce, maxPriorityFeePerGas: GWEI, maxFeePerGas: 2n * GWEI, gasLimit: 21_000n };
      return recoverSender(signTransfer({ ...tx, to, value: BigInt(1000 + h) }, from));
    });
    const proposer = addressOf(VALIDATOR_SECRETS[h % 4]);
    const executed = executeBlock(parent.view, { proposer, transactions: transfers }, params);
    const header: BlockHeader = {
      chainId,
      height: h,
      round: parent.header.round + roundStep(h),
      parentHash: parent.id,
      proposer,
      timestampMs: parent.header.timestampMs + 1000,
      txRoot: merkleRoot(transfers.map((t) => t.hash)),
      stateRoot: executed.stateRoot,
      receiptsRoot: executed.receiptsRoot,
      parentQc: parent.qc,
    };
    const id = hashHeader(header);
    const qc = encodeQc(signQc(header.round, id, [0, 1, 2], { chainId, genesisId: gb.hash }));
    blocks.push({ header, id, qc, transfers, receipts: executed.receipts, view: executed });
  }
  return blocks;
}

/**
 * The proof of commit of block `height`: the headers up to the first D at or above it whose
 * child is one round later (or up to `through`, which need not commit anything), D's
 * child and the child's QC.
 */
export function commitProofOf(blocks: readonly TestBlock[], height: number, through?: number): CommitProof {
  let d = through ?? height;
  if (through === undefined) while (!commitsParent(blocks[d].header, blocks[d + 1].header)) d++;
  return {
    header: blocks[height].header,
    chain: blocks.slice(height + 1, d + 1).map((b) => b.header),
    child: blocks[d + 1].header,
    childQc: blocks[d + 1].qc,
  };
}
