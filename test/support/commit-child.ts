/**
 * Child process of the crash test: commits blocks forever into the store at argv[2] and
 * prints `committed <height>` after each commit returns. The parent kills it with SIGKILL.
 */
import { LedgerStore } from '../../src/store/index.js';
import { commitTransfers, fixtureGenesis, initialiseFixture, testSecrets } from './ledger-fixture.js';

const dir = process.argv[2];
const secrets = testSecrets(40);
const genesis = fixtureGenesis(secrets);
const store = LedgerStore.open(dir, genesis.hash);
if (!store.isInitialised()) await initialiseFixture(store, genesis);
for (let step = store.head().height; ; step++) {
  const { block } = await commitTransfers(store, secrets, 25, step);
  process.stdout.write(`committed ${block.header.height}\n`);
}
