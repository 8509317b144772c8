import { basename } from "node:path";
import type { SingleBar } from "cli-progress";
import { readCsvCells } from "../../adapters/csv/csv-cells.js";
import type { CsvRowFold, CsvRowReader } from "../../domain/clv/csv-rows.js";
import { formatRowError, InvalidInputError, type RowError } from "../../domain/input/row-errors.js";

export interface ReadRowsOptions {
  /** Stop at the first bad row instead of reporting it and going on. */
  strict?: boolean;
  /** Show a progress bar (on large files, when stderr is a terminal). */
  progress?: boolean;
  /** The cell delimiter, one character; default ",". */
  delimiter?: string;
}

export interface FoldRows {
  /** The good rows, folded. */
  rows: number;
  errors: RowError[];
  /** The header's columns. */
  columns: string[];
}

export interface ReadRows<T> extends Omit<FoldRows, "rows"> {
  rows: T[];
}

/** A problem with the whole file (its columns, its delimiter), said in one line that names it. */
export class CsvFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${basename(file)}: ${problem}`);
    this.name = "CsvFileError";
  }
}

/** A file with a header and no row to use: what it holds instead, with its first bad rows. */
export function noRowsError(path: string, errors: readonly RowError[], what: string): CsvFileError {
  if (errors.length === 0) return new CsvFileError(path, `no ${what}: the file has no rows below its header`);
  const shown = errors.slice(0, 5).map(formatRowError);
  if (errors.length > shown.length) shown.push(`… and ${errors.length - shown.length} more`);
  return new CsvFileError(path, `no ${what}: every row is bad (${errors.length} problems)\n${shown.join("\n")}`);
}

/** The first `limit` bad rows, a line each, and how many more there are. */
export function rowErrorLines(errors: readonly RowError[], limit = 20): string[] {
  const lines = errors.slice(0, limit).map(formatRowError);
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more bad rows`);
  return lines;
}

const PROGRESS_MIN_BYTES = 5_000_000;

/** Reads a CSV file with `reader` (as foldRows), keeping each good row's value. */
export async function readRows<T>(path: string, reader: CsvRowReader<T>, options: ReadRowsOptions = {}): Promise<ReadRows<T>> {
  const rows: T[] = [];
  const keep: CsvRowFold = {
    header: reader.header,
    columns: reader.columns,
    add(cells, row, errors) {
      const before = errors.length;
      const value = reader.read(cells, row, errors);
      // No value and no problem: a good row that counts for nothing (a cancelled order).
      if (value === undefined) return errors.length === before;
      rows.push(value);
      return true;
    },
  };
  const { errors, columns } = await foldRows(path, keep, options);
  return { rows, errors, columns };
}

/**
 * Reads a CSV file into `reader`'s fold: the header is checked once (a missing column fails the whole
 * file in one line), then each row's cells; bad rows become RowErrors, good ones are folded and not kept.
 */
export async function foldRows(path: string, reader: CsvRowFold, options: ReadRowsOptions = {}): Promise<FoldRows> {
  let rows = 0;
  const errors: RowError[] = [];
  const delimiter = options.delimiter ?? ",";
  let columns: string[] = [];
  let at: number[] = [];
  const picked: (string | undefined)[] = new Array(reader.columns.length);
  const pickedSpans = new Int32Array(2 * reader.columns.length);
  let bar: SingleBar | undefined;
  // cli-progress (~0.03 s of CPU to load) only when a bar can be shown: `clv fit` in a pipe or a test never loads it.
  const Bar = options.progress && process.stderr.isTTY ? (await import("cli-progress")).SingleBar : undefined;
  const onProgress = Bar
    ? (read: number, total: number) => {
        if (!bar && total >= PROGRESS_MIN_BYTES) {
          bar = new Bar({ format: "reading {bar} {percentage}% | {value}/{total} MB", stream: process.stderr });
          bar.start(Math.round(total / 1e6), 0);
        }
        bar?.update(Math.round(read / 1e6));
      }
    : undefined;
  const tooMany = (count: number) =>
    `has ${count} cells but the header has ${columns.length} (${delimiter === "," ? "an unquoted comma, such as a decimal comma?" : `an unquoted ${delimiter === "\t" ? "tab" : `'${delimiter}'`}?`})`;
  try {
    await readCsvCells(
      path,
      {
        header(names) {
          const shape = reader.header.safeParse(names);
          if (!shape.success) throw new CsvFileError(path, shape.error.issues.map((i) => i.message).join("; "));
          columns = names;
          at = reader.columns.map((name) => names.indexOf(name));
        },
        row(cells, count, row, problem) {
          if (problem !== undefined || count > columns.length) errors.push({ row, field: "", message: problem ?? tooMany(count) });
          else {
            for (let k = 0; k < at.length; k++) {
              const index = at[k]!;
              picked[k] = index >= 0 && index < count ? cells[index] : undefined;
            }
            if (reader.add(picked, row, errors)) {
              rows++;
              return;
            }
          }
          if (options.strict) throw new InvalidInputError(errors);
        },
        ...(reader.addSpans && {
          rowSpans(text, spans, count, row) {
            if (count > columns.length) return false;
            for (let k = 0; k < at.length; k++) {
              const index = at[k]!;
              const present = index >= 0 && index < count;
              pickedSpans[2 * k] = present ? spans[2 * index]! : -1;
              pickedSpans[2 * k + 1] = present ? spans[2 * index + 1]! : -1;
            }
            if (!reader.addSpans!(text, pickedSpans, row)) return false;
            rows++;
            return true;
          },
        }),
      },
      { delimiter, ...(onProgress && { onProgress }) },
    );
  } finally {
    bar?.stop();
  }
  return { rows, errors, columns };
}
