// Exact arithmetic for metric outputs. ClickHouse returns integer counts and exact decimal sums;
// every ratio, mean and percentage is computed here in integers and rounded once, to 2 decimals,
// half away from zero (metrics.md conventions), so 1499999.995 never prints as 1499999.99. The
// legacy endpoints round some figures to 1 decimal: same functions, `digits` = 1.

/** Parses an exact decimal string ('-12.5', '3', '0.07') into hundredths. More than 2 decimals is refused. */
export function toCents(decimal: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2})0*)?$/.exec(decimal.trim());
  if (!match) throw new Error(`not an exact decimal with at most 2 places: "${decimal}"`);
  const [, sign, whole, fraction = ''] = match;
  const cents = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** Hundredths as the JS number closest to the decimal (exact for any realistic XOF amount). */
export function centsToNumber(cents: bigint): number {
  return Number(cents) / 100;
}

/** A money sum printed by ClickHouse (Decimal) as a number. */
export function money(decimal: string): number {
  return centsToNumber(toCents(decimal));
}

/**
 * numerator / denominator × scale, rounded to `digits` decimals (2 unless a contract says
 * otherwise, e.g. the legacy endpoints' 1) half away from zero; 0 when the denominator is 0 (a
 * mean over no rows, a rate of nothing).
 */
export function ratio(numerator: bigint, denominator: bigint, scale: bigint = 1n, digits: number = 2): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 6) throw new Error(`digits must be an integer in 0..6, not ${digits}`);
  if (denominator === 0n) return 0;
  const unit = 10n ** BigInt(digits);
  const negative = numerator < 0n !== denominator < 0n && numerator !== 0n;
  const n = (numerator < 0n ? -numerator : numerator) * scale * unit;
  const d = denominator < 0n ? -denominator : denominator;
  const units = (2n * n + d) / (2n * d);
  // An integer divided by a power of ten is the double nearest the decimal (IEEE division rounds once).
  return (negative ? -Number(units) : Number(units)) / Number(unit);
}

/** part / whole × 100 as a percentage with 2 decimals (or `digits`). */
export function percent(part: bigint | number, whole: bigint | number, digits: number = 2): number {
  return ratio(BigInt(part), BigInt(whole), 100n, digits);
}

/** Mean of hundredths (money) over count rows, in money units with 2 decimals. */
export function meanMoney(sumCents: bigint, count: bigint | number): number {
  return ratio(sumCents, BigInt(count) * 100n);
}

const MICROSECONDS_PER_HOUR = 3_600_000_000n;

/** Mean duration in hours from a sum of microseconds over count rows. */
export function meanHours(sumMicroseconds: bigint, count: bigint | number): number {
  return ratio(sumMicroseconds, BigInt(count) * MICROSECONDS_PER_HOUR);
}

/** A count printed by ClickHouse (UInt64 may arrive quoted) as a number. */
export function count(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not a count: ${value}`);
  return n;
}
