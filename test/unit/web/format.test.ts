/**
 * How amounts, addresses and times are written, and the browser's copy of those rules
 * (explorer/web/public/format.js) agreeing with the server's on seeded random inputs: a
 * row added live must read exactly like one the server rendered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { formatUnits, formatWei } from '../../../explorer/web/currency.js';
import { checksummed, relativeTime } from '../../../explorer/web/format.js';

interface BrowserFormat {
  checksummed(address: string): string;
  formatUnits(wei: string): string;
  formatWei(wei: string): string;
  relativeTime(timestampMs: number, nowMs: number): string;
}

const browserFormat = (): Promise<BrowserFormat> =>
  import(pathToFileURL(new URL('../../../explorer/web/public/format.js', import.meta.url).pathname).href);

/** xorshift32: the same inputs on every run. */
function seeded(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('explorer formatting', () => {
  it('writes amounts in whole units with at most six decimals, or six significant digits below one', () => {
    const unit = 10n ** 18n;
    assert.equal(formatUnits('0'), '0');
    assert.equal(formatUnits(unit.toString()), '1');
    assert.equal(formatUnits((1_234_567n * unit + unit / 2n).toString()), '1,234,567.5');
    assert.equal(formatUnits('1234567891234567891'), '1.234567');
    assert.equal(formatUnits('189000000000000'), '0.000189');
    assert.equal(formatUnits('96000000001'), '0.000000096');
    assert.equal(formatUnits('1'), '0.000000000000000001');
    assert.equal(formatWei('1500000000000000000'), '1,500,000,000,000,000,000 wei');
  });

  it('writes times relative to now', () => {
    const now = 1_700_000_000_000;
    assert.equal(relativeTime(now + 5_000, now), 'just now');
    assert.equal(relativeTime(now - 12_400, now), '12 s ago');
    assert.equal(relativeTime(now - 4 * 60_000, now), '4 min ago');
    assert.equal(relativeTime(now - 3 * 3_600_000, now), '3 h ago');
    assert.equal(relativeTime(now - 72 * 3_600_000, now), '3 d ago');
  });

  it('the browser script writes addresses, amounts and times exactly as the server does', async () => {
    const browser = await browserFormat();
    const random = seeded(11);
    const hexDigits = (n: number) =>
      Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
    // EIP-55's own examples, then random ones
    const addresses = [
      '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
      '0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359',
      '0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb',
      ...Array.from({ length: 40 }, () => `0x${hexDigits(40)}`),
    ];
    assert.equal(checksummed(addresses[0]), '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    for (const address of addresses)
      assert.equal(browser.checksummed(address), checksummed(address), address);
    const amounts = [
      '0',
      '1',
      ...Array.from({ length: 60 }, () => BigInt(`0x${hexDigits(1 + Math.floor(random() * 24))}`).toString()),
    ];
    for (const wei of amounts) {
      assert.equal(browser.formatUnits(wei), formatUnits(wei), wei);
      assert.equal(browser.formatWei(wei), formatWei(wei), wei);
    }
    const now = 1_700_000_000_000;
    for (let i = 0; i < 50; i++) {
      const then = now - Math.floor(random() * 4 * 86_400_000);
      assert.equal(browser.relativeTime(then, now), relativeTime(then, now));
    }
  });
});
