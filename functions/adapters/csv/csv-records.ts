import { createReadStream, statSync } from "node:fs";
import { parse } from "csv-parse";

export interface CsvRecord {
  /** Line number in the file (the header is row 1), as a person counts rows in a spreadsheet. */
  row: number;
  record: Record<string, string>;
  /** Set when the row's shape is wrong (more or fewer cells than the header): the row cannot be trusted. */
  problem?: string;
}

/**
 * Streams a CSV file with a header row as records keyed by column name. `onProgress` gets the bytes
 * read so far and the file's size, for a progress bar on large files.
 */
export async function* csvRecords(path: string, onProgress?: (bytesRead: number, totalBytes: number) => void): AsyncGenerator<CsvRecord> {
  const totalBytes = statSync(path).size;
  const stream = createReadStream(path);
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
