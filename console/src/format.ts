// How the console writes the runtime's numbers. Collateral (USDC) has 6 decimals, prices and
// rates are 18-decimal fixed point, shares of a whole are parts per million. A value the page
// could not read is `undefined` and is written as "unknown", never as zero.

export const USDC = 1_000_000n;
const FIXED = 10n ** 18n;

/** Groups thousands: 1234567 -> "1,234,567". */
function grouped(whole: bigint): string {
  return whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `value` units of `10^decimals`, with `shown` decimals (truncated), signed. */
export function decimal(value: bigint, decimals: bigint, shown: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** decimals;
  const whole = abs / unit;
  const frac = (abs % unit).toString().padStart(Number(decimals), '0').slice(0, shown);
  return (negative ? '-' : '') + grouped(whole) + (shown > 0 ? '.' + frac : '');
}

/** A collateral amount: "1,234.56 USDC". */
export function usdc(value: bigint | undefined): string {
  return value === undefined ? 'unknown' : `${decimal(value, 6n, 2)} USDC`;
}

/** An 18-decimal fixed-point price: "60,000.00". */
export function price(value: bigint | undefined): string {
  return value === undefined ? 'unknown' : decimal(value, 18n, 2);
}

/** An 18-decimal fixed-point ratio as a percentage: "12.34%". */
export function fixedPercent(value: bigint | undefined): string {
  return value === undefined ? 'unknown' : `${decimal(value * 100n, 18n, 2)}%`;
}

/** Parts per million as a percentage: 900000 -> "90.00%". */
export function permill(value: number | undefined): string {
  return value === undefined ? 'unknown' : `${decimal(BigInt(value) * 100n, 6n, 2)}%`;
}

/** `part` of `whole` as a percentage, or "unknown" when either is. */
export function share(part: bigint | undefined, whole: bigint | undefined): string {
  if (part === undefined || whole === undefined) return 'unknown';
  if (whole === 0n) return part === 0n ? '0.00%' : '∞';
  return `${decimal((part * 10_000n) / whole, 2n, 2)}%`;
}

/** Milliseconds as "12 s", "3 min", "2 h". */
export function age(ms: bigint): string {
  const s = Number(ms / 1000n);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** A decimal the user typed ("1,000.5") as collateral units; throws on anything else. */
export function parseUsdc(text: string): bigint {
  const clean = text.replaceAll(',', '').trim();
  if (!/^\d+(\.\d{0,6})?$/.test(clean)) throw new Error(`"${text}" is not an amount of USDC`);
  const [whole, frac = ''] = clean.split('.');
  return BigInt(whole) * USDC + BigInt((frac + '000000').slice(0, 6));
}

/** A decimal price the user typed as 18-decimal fixed point; throws on anything else. */
export function parsePrice(text: string): bigint {
  const clean = text.replaceAll(',', '').trim();
  if (!/^\d+(\.\d{0,18})?$/.test(clean)) throw new Error(`"${text}" is not a price`);
  const [whole, frac = ''] = clean.split('.');
  return BigInt(whole) * FIXED + BigInt((frac + '0'.repeat(18)).slice(0, 18));
}

/** Whether `value` is a ratio above `limit` (parts per million), `value` in 18 decimals. */
export function above(value: bigint, limitPermill: number): boolean {
  return value * 1_000_000n > BigInt(limitPermill) * FIXED;
}
