/**
 * Dates and times as a store sends them (ISO 8601), read only when they name a real moment: V8's
 * Date.parse takes "2024-02-30" for 1 March and "2024-06-31T25:00Z" for something, so each field is
 * checked against the calendar before the text becomes epoch milliseconds.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A date and time with seconds optional, fractions optional, and a zone (Z or ±hh:mm). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

export const MS_PER_DAY = 86_400_000;

/** Orders before this are a mistake unless the store says otherwise (online shops barely existed before). */
export const DEFAULT_EARLIEST_ORDER_DATE = "1995-01-01";

/** How far ahead of our clock an order may be: a day covers every time zone and a clock that is off. */
export const FUTURE_TOLERANCE_MS = MS_PER_DAY;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The time an ISO 8601 text names, as epoch ms and the text as it is kept (a date alone, 2024-05-31,
 * means midnight UTC, as a spreadsheet export has it), or what is wrong with it.
 */
export function parseCalendarTime(text: string): { ms: number; iso: string } | { error: string } {
  const shape = `expected a date like 2024-05-31 or a time like 2024-05-31T14:03:00Z, got ${shown(text)}`;
  const date = ISO_DATE.exec(text);
  const time = date ? undefined : ISO_TIME.exec(text);
  const parts = date ?? time;
  if (!parts) return { error: shape };
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (month < 1 || month > 12) return { error: `${shown(text)} has no month ${parts[2]}` };
  if (day < 1 || day > daysIn(year, month)) return { error: `${shown(text)} is not a date: ${year}-${parts[2]} has ${daysIn(year, month)} days` };
  if (time) {
    const [hour, minute, second] = [Number(time[4]), Number(time[5]), Number(time[6] ?? 0)];
    if (hour > 23 || minute > 59 || second > 59) return { error: `${shown(text)} is not a time of day` };
    if (time[8] !== undefined && (Number(time[8]) > 14 || Number(time[9]) > 59)) return { error: `${shown(text)} has no such UTC offset` };
  }
  const iso = date ? `${text}T00:00:00Z` : text;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? { ms, iso } : { error: shape };
}

export interface DateRange {
  /** YYYY-MM-DD: no order before it (DEFAULT_EARLIEST_ORDER_DATE). */
  earliest?: string;
  /** The clock that judges "in the future". */
  now?: () => number;
}

/**
 * An order time within the store's plausible range: not before `earliest`, not more than a day after
 * now. One order dated 0011-06-01 would stretch the store's history to 730,000 days and change every
 * model run, so it is refused rather than stored.
 */
export function parseOrderTime(text: string, range: DateRange = {}): { ms: number; iso: string } | { error: string } {
  const parsed = parseCalendarTime(text);
  if ("error" in parsed) return parsed;
  const earliest = range.earliest ?? DEFAULT_EARLIEST_ORDER_DATE;
  if (parsed.ms < Date.parse(`${earliest}T00:00:00Z`)) return { error: `${shown(text)} is before ${earliest}, the earliest order date this store takes` };
  const now = (range.now ?? Date.now)();
  if (parsed.ms > now + FUTURE_TOLERANCE_MS) return { error: `${shown(text)} is in the future (more than a day after ${new Date(now).toISOString().slice(0, 16)}Z)` };
  return parsed;
}

function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
