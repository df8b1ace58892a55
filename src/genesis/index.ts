export { type CreatedGenesis, type CreateGenesisOptions, createGenesis } from './create.js';
export { GenesisError, type GenesisErrorCode } from './errors.js';
export { canonicalGenesisJson, genesisDocumentHash } from './hash.js';
export { genesisToJson, loadGenesisFile, parseGenesis } from './parse.js';
export { peerIdOfPublicKey, tryParsePeerId } from './peer-id.js';
export {
  type GenesisFromPartiesOptions,
  type GenesisParties,
  genesisFromParties,
  MAX_VALIDATORS_FILE_BYTES,
  parseValidatorsFile,
} from './public-parts.js';
export { faultTolerance, quorumSize } from './quorum.js';
export {
  DEFAULT_GENESIS_PARAMS,
  GENESIS_LIMITS,
  type Genesis,
  type GenesisAllocation,
  type GenesisJson,
  type GenesisObserver,
  type GenesisParams,
  type GenesisParamsJson,
  type GenesisValidator,
  type ObserverJson,
  type ValidatorJson,
} from './types.js';
