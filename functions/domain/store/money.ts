/**
 * Money as the store counts it: ISO 4217 currencies, each with its minor unit (JPY 0 decimals, GBP 2,
 * KWD 3), as the runtime's Intl data has them.
 */

/** Every ISO 4217 code the runtime knows (Intl.supportedValuesOf), e.g. EUR, JPY, KWD. */
export const currencyCodes: readonly [string, ...string[]] = Intl.supportedValuesOf("currency") as [string, ...string[]];
const known = new Set(currencyCodes);

/** The store's currency when none is configured (deploy parameter `storeCurrency`, `--currency` locally). */
export const DEFAULT_STORE_CURRENCY = "EUR";

export function isCurrency(code: string): boolean {
  return known.has(code);
}

const minorUnits = new Map<string, number>();

/** Decimals of the currency's minor unit: 2 for GBP (pence), 0 for JPY, 3 for KWD (fils). */
export function minorUnit(currency: string): number {
  let digits = minorUnits.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    minorUnits.set(currency, digits);
  }
  return digits;
}

/** An amount rounded to the currency's minor unit (half away from zero, as tills do). */
export function roundToMinorUnit(amount: number, currency: string): number {
  const digits = minorUnit(currency);
  const rounded = Number((Math.abs(amount) + Number.EPSILON * Math.abs(amount)).toFixed(digits));
  return (amount < 0 ? -rounded : rounded) + 0;
}

/**
 * The amount in the currency's minor unit, or why it cannot be: a total may differ from its rounding
 * only by binary floating point noise (0.1 + 0.2 = 0.30000000000000004 is 0.30); anything that the
 * rounding would really change (12.345 GBP, 1e-40, 5e-324) is refused, since guessing would make the
 * store's figures differ from the shop's own books.
 */
export function amountIn(amount: number, currency: string): { amount: number } | { error: string } {
  const digits = minorUnit(currency);
  // 15 significant digits is what a double holds for sure: beyond them is noise of the binary form.
  const [mantissa = "", exponent] = amount.toPrecision(15).split("e");
  const decimals = (mantissa.split(".")[1] ?? "").replace(/0+$/, "").length - Number(exponent ?? 0);
  if (decimals > digits) {
    const unit = digits === 0 ? "whole units" : `${digits} decimal${digits === 1 ? "" : "s"} (${(10 ** -digits).toFixed(digits)})`;
    return { error: `${amount} has more decimals than ${currency} has: send it in ${unit}` };
  }
  return { amount: roundToMinorUnit(amount, currency) };
}

/** An amount with its currency, as people read it in the store's reports: "£1,234.50", "¥1,200". */
export function formatAmount(amount: number, currency: string, options: { wholeUnits?: boolean } = {}): string {
  return amount.toLocaleString("en-GB", { style: "currency", currency, ...(options.wholeUnits && { maximumFractionDigits: 0, minimumFractionDigits: 0 }) });
}
