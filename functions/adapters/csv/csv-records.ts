import { createReadStream, statSync } from "node:fs";
import { parse } from "csv-parse";

export interface CsvRecord {
  /** Line number in the file (the header is row 1), as a person counts rows in a spreadsheet. */
  row: number;
  record: Record<string, string>;
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
  const parser = stream.pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim()), bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: false }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { row: info.lines, record };
  }
}
