import { parseCalendarTime } from "./calendar-time.js";

/**
 * The checks of a CSV cell, which arrives as text, as plain functions: each says what it expected and
 * shows what it got, since "expected number, received string" helps nobody fix a spreadsheet. The fast
 * file readers of `clv fit`/`clv score` call them per cell, a million times, without loading zod's
 * full API; csv-fields.ts makes zod schemas of them, so both say the same.
 */
const shown = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** What a cell check returns instead of a value: the problem, said for a person. */
export class CellProblem {
  constructor(readonly message: string) {}
}

export const CONTROL = /[\u0000-\u001f\u007f]/;
export const IS_EMPTY = new CellProblem("is empty");
export const HAS_CONTROL = new CellProblem("contains control characters");

/** A required text cell, trimmed: not empty, no control characters. */
export function textValue(text: string): string | CellProblem {
  if (isPlainText(text, 0, text.length)) return text;
  const trimmed = text.trim();
  if (trimmed.length === 0) return IS_EMPTY;
  return CONTROL.test(trimmed) ? HAS_CONTROL : trimmed;
}

/**
 * Whether text[from, to) is a text cell textValue keeps as it is: not empty, printable ASCII, no space
 * at either end. Most cells are: nothing to trim or refuse.
 */
export function isPlainText(text: string, from: number, to: number): boolean {
  if (to <= from || text.charCodeAt(from) === 32 || text.charCodeAt(to - 1) === 32) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126) return false;
  }
  return true;
}

/** A finite number, spaces around it allowed. */
export function numberValue(text: string): number | CellProblem {
  const plain = plainDecimal(text);
  if (plain === plain) return plain;
  // Number() ignores the same surrounding white space trim() removes, and reads "" and " " as 0.
  const value = Number(text);
  if (Number.isFinite(value) && (value !== 0 || text.trim() !== "")) return value;
  return new CellProblem(`expected a number, got ${shown(text)}`);
}

/**
 * text[from, to) (all of it by default) as `-?digits[.digits]` with at most 15 digits, read without
 * Number()'s general parser: the digits as a whole number (exact below 2^53) divided by a power of ten
 * (exact up to 10^22) is the correctly rounded value, the one Number() gives (Clinger 1990, the fast
 * path). NaN for anything else, spaces included.
 */
export function plainDecimal(text: string, from = 0, to = text.length): number {
  const n = to;
  let i = from;
  let negative = false;
  if (n > i && text.charCodeAt(i) === 45 /* - */) {
    negative = true;
    i++;
  }
  let digits = 0;
  let whole = 0;
  let point = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      whole = whole * 10 + (c - 48);
      digits++;
    } else if (c === 46 /* . */ && point < 0) point = digits;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const value = point < 0 || point === digits ? whole : whole / POWERS_OF_TEN[digits - point]!;
  return negative ? -value : value;
}

/**
 * text[from, to) as numberValue reads it, NaN where numberValue would not give a number: plainDecimal,
 * else Number() when every character is a digit, a sign, a point or an exponent's e (no space to
 * trim, so the same value): what a spreadsheet writes as 27.060000000000002 or 1e-7 is read in place.
 */
export function decimalValue(text: string, from: number, to: number): number {
  const plain = plainDecimal(text, from, to);
  if (plain === plain || to <= from) return plain;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) return Number.NaN;
  }
  const value = Number(text.slice(from, to));
  return Number.isFinite(value) ? value : Number.NaN;
}

const POWERS_OF_TEN = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

const digit = (text: string, at: number) => text.charCodeAt(at) - 48;
const twoDigits = (text: string, at: number) => {
  const a = digit(text, at);
  const b = digit(text, at + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/**
 * The two shapes exports use, 2024-05-31 and 2024-05-31T14:03:00Z, in text[from, to) (all of it by
 * default), read without a regular expression or Date.parse: the value parseCalendarTime gives,
 * several times faster; NaN for anything else, spaces included (which then goes to parseCalendarTime,
 * for its value or its message).
 */
export function isoDateMs(text: string, from = 0, to = text.length): number {
  const n = to - from;
  const at = from;
  if (!(n === 10 || (n === 20 && text.charCodeAt(at + 10) === 84 /* T */ && text.charCodeAt(at + 19) === 90) /* Z */) || text.charCodeAt(at + 4) !== 45 || text.charCodeAt(at + 7) !== 45) return Number.NaN;
  const century = twoDigits(text, at);
  const year = century * 100 + twoDigits(text, at + 2);
  const month = twoDigits(text, at + 5);
  const day = twoDigits(text, at + 8);
  // Date.UTC reads years 0–99 as 1900–1999: those go the slow way.
  if (century < 1 || year < century * 100 || month < 1 || month > 12 || day < 1 || day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return Number.NaN;
  const dayMs = daysFromCivil(year, month, day) * 86_400_000;
  if (n === 10) return dayMs;
  const hours = twoDigits(text, at + 11);
  const minutes = twoDigits(text, at + 14);
  const seconds = twoDigits(text, at + 17);
  if (text.charCodeAt(at + 13) !== 58 || text.charCodeAt(at + 16) !== 58 || hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return Number.NaN;
  return dayMs + ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (month 1–12), in whole-number
 * arithmetic: Date.UTC's value without its call, which cost a tenth of a million orders' read
 * (Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil).
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** A real calendar date or date-time (ISO 8601, or YYYY-MM-DD meaning midnight UTC) as epoch ms. */
export function dateValue(text: string): number | CellProblem {
  const trimmed = text.trim();
  const ms = isoDateMs(trimmed);
  if (ms === ms) return ms;
  const time = parseCalendarTime(trimmed);
  return "error" in time ? new CellProblem(time.error) : time.ms;
}
