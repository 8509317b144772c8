import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";

/** Where CSV text comes from: a local file, or an object in S3 (the bulk import on AWS). */
export interface CsvSource {
  /** For messages: the file or object name. */
  name: string;
  /** Bytes, when known, for progress. */
  size?: number;
  open(): Readable;
}

export function fileSource(path: string): CsvSource {
  return { name: basename(path), size: statSync(path).size, open: () => createReadStream(path) };
}

export interface CsvRecord {
  /** Line number in the file (the header is row 1), as a person counts rows in a spreadsheet. */
  row: number;
  record: Record<string, string>;
  /** Set when the row's shape is wrong (more or fewer cells than the header): the row cannot be trusted. */
  problem?: string;
}

/**
 * Streams CSV with a header row (a file path or a source) as records keyed by column name.
 * `onProgress` gets the bytes read so far and the size, for a progress bar on large files.
 */
export async function* csvRecords(input: string | CsvSource, onProgress?: (bytesRead: number, totalBytes: number) => void): AsyncGenerator<CsvRecord> {
  const source = typeof input === "string" ? fileSource(input) : input;
  const totalBytes = source.size ?? 0;
  const stream = source.open();
  let bytesRead = 0;
  if (onProgress) stream.on("data", (chunk) => onProgress((bytesRead += chunk.length), totalBytes));
  const parser = stream.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }));
  let header: string[] | undefined;
  for await (const { record: cells, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = cells.map((h) => h.trim());
      continue;
    }
    const record: Record<string, string> = {};
    header.forEach((name, i) => {
      if (cells[i] !== undefined) record[name] = cells[i]!;
    });
    const problem =
      cells.length > header.length
        ? `has ${cells.length} cells but the header has ${header.length} (an unquoted comma, such as a decimal comma?)`
        : undefined;
    yield { row: info.lines, record, ...(problem && { problem }) };
  }
}
