/**
 * The chain's one currency as the pages show it: the symbol, decimals and formatting are
 * defined once in src/tx/units.ts, shared with the wallet; amounts travel as decimal
 * strings of wei (reader.ts) and are shown in whole units of 10^18 wei.
 */
export { CURRENCY_DECIMALS, CURRENCY_SYMBOL, formatUnits, formatWei } from '../../src/tx/index.js';
