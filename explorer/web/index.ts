/** Public surface of the explorer's web pages. */
export { CURRENCY_DECIMALS, CURRENCY_SYMBOL, formatUnits, formatWei } from './currency.js';
export {
  DEFAULT_EXPLORER_PAGES_OPTIONS,
  type ExplorerPagesOptions,
  explorerPagesOptions,
} from './options.js';
export { CONTENT_SECURITY_POLICY, createExplorerPages } from './router.js';
