/**
 * What a client trusts: the validator set of a genesis document it holds, never what the
 * node being checked says about itself. The wallet reads the document from a local file;
 * a client that only has a pinned genesis hash may take the document from anywhere, a
 * node included, because it must hash to the pin.
 *
 * The pin is the genesis block hash (block 0's id, as stores and the explorer show it).
 * It commits to the whole document: the genesis block's parent hash is the document's
 * canonical hash (src/genesis/hash.ts), so another validator set has another pin.
 */
import { buildGenesisBlock } from '../chain/index.js';
import { secp256k1Verifier, type ValidatorSet, type Verifier } from '../consensus/index.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { type Genesis, genesisDocumentHash, quorumSize } from '../genesis/index.js';
import { ClientError } from './errors.js';

export interface ClientTrust {
  validatorSet: ValidatorSet;
  /** secp256k1 over the genesis validators' public keys (index = position in genesis). */
  verifier: Verifier;
  /** The genesis block hash (validatorSet.genesisId). */
  genesisHash: Uint8Array;
  /** Distinct signers a certificate needs: quorumSize of the genesis set. */
  quorum: number;
  /** Validator names by index, to show who signed a certificate. */
  names: readonly string[];
}

/**
 * The trust of a client from a parsed genesis document (src/genesis parseGenesis). With
 * `pinnedGenesisHash`, a document whose genesis block has another hash is refused
 * (GENESIS_MISMATCH).
 */
export function trustFromGenesis(genesis: Genesis, pinnedGenesisHash?: Uint8Array): ClientTrust {
  const genesisBlock = buildGenesisBlock({
    chainId: genesis.chainId,
    timestampMs: genesis.genesisTimeMs,
    alloc: genesis.alloc.map((a) => [a.address, a.balance] as const),
    documentHash: genesisDocumentHash(genesis),
  });
  const genesisHash = genesisBlock.hash;
  if (pinnedGenesisHash !== undefined && !equalBytes(pinnedGenesisHash, genesisHash))
    throw new ClientError(
      'GENESIS_MISMATCH',
      `the genesis document's block hash is ${toHex(genesisHash)}, not the pinned ${toHex(pinnedGenesisHash)}`,
    );
  const validatorSet: ValidatorSet = {
    chainId: genesis.chainId,
    genesisId: genesisHash,
    validators: genesis.validators.map((v) => ({ address: v.address, publicKey: v.publicKey })),
  };
  return {
    validatorSet,
    verifier: secp256k1Verifier(genesis.validators.map((v) => v.publicKey)),
    genesisHash,
    quorum: quorumSize(genesis.validators.length),
    names: genesis.validators.map((v) => v.name),
  };
}
