import { SingleBar } from "cli-progress";
import type { z } from "zod";
import { csvRecords } from "../../adapters/csv/csv-records.js";
import { InvalidInputError, rowErrors, type RowError } from "../../domain/input/row-errors.js";

export interface ReadRowsOptions {
  /** Stop at the first bad row instead of reporting it and going on. */
  strict?: boolean;
  /** Show a progress bar (on large files, when stderr is a terminal). */
  progress?: boolean;
}

export interface ReadRows<T> {
  rows: T[];
  errors: RowError[];
}

const PROGRESS_MIN_BYTES = 5_000_000;

/** Reads a CSV file, parsing each row with `schema`; bad rows become RowErrors, the rest are kept. */
export async function readRows<S extends z.ZodType>(path: string, schema: S, options: ReadRowsOptions = {}): Promise<ReadRows<z.output<S>>> {
  const rows: z.output<S>[] = [];
  const errors: RowError[] = [];
  let bar: SingleBar | undefined;
  const onProgress =
    options.progress && process.stderr.isTTY
      ? (read: number, total: number) => {
          if (!bar && total >= PROGRESS_MIN_BYTES) {
            bar = new SingleBar({ format: "reading {bar} {percentage}% | {value}/{total} MB", stream: process.stderr });
            bar.start(Math.round(total / 1e6), 0);
          }
          bar?.update(Math.round(read / 1e6));
        }
      : undefined;
  try {
    for await (const { row, record, problem } of csvRecords(path, onProgress)) {
      const parsed = problem ? undefined : schema.safeParse(record);
      if (parsed?.success) rows.push(parsed.data);
      else {
        errors.push(...(parsed ? rowErrors(parsed.error, row) : [{ row, field: "", message: problem! }]));
        if (options.strict) throw new InvalidInputError(errors);
      }
    }
  } finally {
    bar?.stop();
  }
  return { rows, errors };
}
