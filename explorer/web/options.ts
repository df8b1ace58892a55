/** Tunables of the explorer's pages, with their defaults. */
import type { EvidenceView, NodeStatus } from '../server/index.js';
import { CURRENCY_SYMBOL } from './currency.js';

export interface ExplorerPagesOptions {
  /** The node's consensus state for the home page (height, round, leader). */
  status: () => NodeStatus;
  /** Equivocation evidence this node holds, listed on the validators page. */
  evidence?: () => EvidenceView[];
  /** The label after amounts (defaults to the project's one symbol, currency.ts). */
  currencySymbol: string;
  /** Rows of a paginated list (blocks, a block's transactions, an account's history). */
  pageLimit: number;
  /** Rows of each "latest" list on the home page. */
  homeItems: number;
  /**
   * Newest blocks the home page reads to fill its latest transactions: a run of empty
   * blocks costs at most this many reads per page view.
   */
  homeBlocksScanned: number;
  /**
   * Rendered pages kept (page-cache.ts): committed blocks' pages and accounts' histories
   * at a head, around their relative times and live parts. 0 turns the cache off.
   */
  pageCacheEntries: number;
  /** Bytes those pages may hold in all. */
  pageCacheBytes: number;
  /** How long browsers may keep the CSS, script and chart library. */
  assetsMaxAgeSeconds: number;
  /** The wall clock for "12 s ago" (tests inject one). */
  nowMs: () => number;
  /** Logs an unexpected error (the client sees a plain 500 page, never the error). */
  onError?: (err: unknown) => void;
}

export const DEFAULT_EXPLORER_PAGES_OPTIONS: Omit<ExplorerPagesOptions, 'status'> = {
  currencySymbol: CURRENCY_SYMBOL,
  pageLimit: 25,
  homeItems: 10,
  homeBlocksScanned: 50,
  pageCacheEntries: 1024,
  pageCacheBytes: 32 * 1024 * 1024,
  assetsMaxAgeSeconds: 3600,
  nowMs: () => Date.now(),
};

export function explorerPagesOptions(
  options: Partial<ExplorerPagesOptions> & Pick<ExplorerPagesOptions, 'status'>,
): ExplorerPagesOptions {
  const merged = { ...DEFAULT_EXPLORER_PAGES_OPTIONS, ...options };
  for (const key of ['pageLimit', 'homeItems', 'homeBlocksScanned'] as const) {
    const value = merged[key];
    if (!Number.isInteger(value) || value < 1 || value > 100)
      throw new RangeError(`${key} must be an integer in 1..100`);
  }
  for (const key of ['pageCacheEntries', 'pageCacheBytes'] as const) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${key} must be a whole number`);
  }
  return merged;
}
