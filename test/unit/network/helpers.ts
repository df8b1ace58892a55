/** Fixtures for network tests: a genesis with real secp256k1 keys and signed messages. */
import { hashHeader } from '../../../src/chain/codec.js';
import { merkleRoot } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import {
  encodeQc,
  genesisQc,
  type Proposal,
  proposalDigest,
  secp256k1Signer,
  secp256k1Verifier,
  type TimeoutMessage,
  timeoutDigest,
  type ValidatorSet,
  type Vote,
  voteDigest,
} from '../../../src/consensus/index.js';
import { keccak256, sha256 } from '../../../src/crypto/hash.js';
import { generateSecretKey, publicKeyOf } from '../../../src/crypto/keys.js';
import {
  createGenesis,
  type Genesis,
  type GenesisParams,
  peerIdOfPublicKey,
} from '../../../src/genesis/index.js';
import { signTransfer } from '../../../src/tx/index.js';

export const CHAIN_ID = 4242n;

export interface Fixture {
  genesis: Genesis;
  secrets: Uint8Array[];
  observerSecrets: Uint8Array[];
  validatorSet: ValidatorSet;
}

export function fixture(validators: number, observers = 0, params: Partial<GenesisParams> = {}): Fixture {
  const observerSecrets = Array.from({ length: observers }, () => generateSecretKey());
  const { genesis, secrets } = createGenesis({
    validators,
    chainId: CHAIN_ID,
    genesisTimeMs: 0,
    params,
    observers: observerSecrets.map((s, i) => ({
      name: `o${i}`,
      peerId: peerIdOfPublicKey(publicKeyOf(s, true)),
    })),
  });
  const validatorSet: ValidatorSet = {
    chainId: CHAIN_ID,
    genesisId: sha256(new TextEncoder().encode('network test genesis')),
    validators: genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
  };
  return { genesis, secrets, observerSecrets, validatorSet };
}

export const verifierOf = (f: Fixture) => secp256k1Verifier(f.genesis.validators.map((v) => v.publicKey));

/** A round-1 proposal on top of genesis, signed by `signerSecret` (forged when it is not the proposer's). */
export function proposal(
  f: Fixture,
  proposer: number,
  opts: { signerSecret?: Uint8Array; timestampMs?: number; transactions?: Uint8Array[] } = {},
): Proposal {
  const transactions = opts.transactions ?? [];
  const block: Block = {
    header: {
      chainId: CHAIN_ID,
      height: 1,
      round: 1,
      parentHash: f.validatorSet.genesisId,
      proposer: f.genesis.validators[proposer].address,
      timestampMs: opts.timestampMs ?? 1,
      txRoot: merkleRoot(transactions.map((raw) => keccak256(raw))),
      stateRoot: new Uint8Array(32),
      receiptsRoot: new Uint8Array(32),
      parentQc: encodeQc(genesisQc(f.validatorSet.genesisId)),
    },
    transactions,
  };
  const signer = secp256k1Signer(opts.signerSecret ?? f.secrets[proposer]);
  return { block, signature: signer.sign(proposalDigest(f.validatorSet, 1, hashHeader(block.header))) };
}

export function timeout(f: Fixture, signer: number, round = 1): TimeoutMessage {
  return {
    round,
    highQc: genesisQc(f.validatorSet.genesisId),
    signer,
    signature: secp256k1Signer(f.secrets[signer]).sign(timeoutDigest(f.validatorSet, round, 0)),
  };
}

export function vote(f: Fixture, signer: number, blockId: Uint8Array): Vote {
  return {
    round: 1,
    blockId,
    signer,
    signature: secp256k1Signer(f.secrets[signer]).sign(voteDigest(f.validatorSet, 1, blockId)),
    sync: { highQc: genesisQc(f.validatorSet.genesisId) },
  };
}

export function transfers(count: number, chainId = CHAIN_ID): Uint8Array[] {
  const secret = generateSecretKey();
  return Array.from(
    { length: count },
    (_, i) =>
      signTransfer(
        {
          chainId,
          nonce: BigInt(i),
          maxPriorityFeePerGas: 1n,
          maxFeePerGas: 2_000_000_000n,
          gasLimit: 21_000n,
          to: new Uint8Array(20).fill(7),
          value: 1n,
        },
        secret,
      ).raw,
  );
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
