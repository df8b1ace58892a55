/**
 * Amounts as a wallet user types them (src/tx/units.ts): whole units with up to 18
 * decimals or exact wei, each fault with its own code, and the exact form read back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../../src/errors.js';
import {
  formatUnits,
  formatUnitsExact,
  MAX_AMOUNT_WEI,
  parseAmount,
  WEI_PER_UNIT,
} from '../../../src/tx/index.js';

function refusedWith(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof InvalidInputError, `expected an InvalidInputError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** xorshift32: the same inputs on every run. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('wallet amounts', () => {
  it('reads whole units with up to 18 decimals', () => {
    assert.equal(parseAmount('1'), WEI_PER_UNIT);
    assert.equal(parseAmount('1.5'), 1_500_000_000_000_000_000n);
    assert.equal(parseAmount('0.000000000000000001'), 1n);
    assert.equal(parseAmount('0'), 0n);
    assert.equal(parseAmount('007.10'), 7_100_000_000_000_000_000n);
    assert.equal(parseAmount(' 2 BFT '), 2n * WEI_PER_UNIT);
    assert.equal(parseAmount('2.25bft'), 2_250_000_000_000_000_000n);
  });

  it('reads exact wei with the wei suffix', () => {
    assert.equal(parseAmount('1500wei'), 1500n);
    assert.equal(parseAmount('1500 WEI'), 1500n);
    assert.equal(parseAmount(`${MAX_AMOUNT_WEI}wei`), MAX_AMOUNT_WEI);
  });

  it('refuses garbage, too many decimals, negative and oversize amounts with distinct codes', () => {
    for (const garbage of [
      '',
      'BFT',
      'abc',
      '1.',
      '.5',
      '1e18',
      '1,000',
      '0x10',
      '+1',
      '1.5wei',
      '1 2',
      'NaN',
    ])
      assert.throws(() => parseAmount(garbage), refusedWith('INVALID_AMOUNT'), garbage);
    assert.throws(() => parseAmount('0.0000000000000000001'), refusedWith('TOO_MANY_DECIMALS'));
    assert.throws(() => parseAmount('-1'), refusedWith('NEGATIVE_AMOUNT'));
    assert.throws(() => parseAmount('-5wei'), refusedWith('NEGATIVE_AMOUNT'));
    assert.throws(() => parseAmount(`${MAX_AMOUNT_WEI + 1n}wei`), refusedWith('AMOUNT_TOO_LARGE'));
    assert.throws(() => parseAmount('9'.repeat(200)), refusedWith('INVALID_AMOUNT'));
  });

  it('writes the exact amount so that it reads back to the same wei', () => {
    const next = seeded(12);
    for (let i = 0; i < 500; i++) {
      const digits = 1 + Math.floor(next() * 40);
      let wei = 0n;
      for (let d = 0; d < digits; d++) wei = wei * 10n + BigInt(Math.floor(next() * 10));
      assert.equal(parseAmount(formatUnitsExact(wei)), wei, `${wei} wei`);
    }
    assert.equal(formatUnitsExact(1_500_000_000_000_000_000n), '1.5');
    assert.equal(formatUnitsExact(1n), '0.000000000000000001');
    assert.equal(formatUnits(1_234_567_890_000_000_000_000n), '1,234.56789');
  });
});
