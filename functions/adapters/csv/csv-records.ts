import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";

/** Where CSV text comes from: a local file, or an object in S3 (the bulk import on AWS). */
export interface CsvSource {
  /** For messages: the file or object name. */
  name: string;
  /** Bytes, when known, for progress. */
  size?: number;
  /** The bytes from the start; called once to check the encoding and once to read, so each call opens afresh. */
  open(): Readable | Promise<Readable>;
}

export function fileSource(path: string): CsvSource {
  return { name: basename(path), size: statSync(path).size, open: () => createReadStream(path) };
}

/** The encodings a file may be read in: UTF-8, or what a spreadsheet saves as CSV on Windows. */
export const csvEncodings = ["utf-8", "windows-1252", "latin1"] as const;
export type CsvEncoding = (typeof csvEncodings)[number];

export interface CsvReadOptions {
  /** The cell separator: "," unless the file says otherwise (European spreadsheets write ";"). */
  delimiter?: string;
  /** UTF-8 unless given; a UTF-8 file with a byte that is not UTF-8 stops the reading with a CsvFileError. */
  encoding?: CsvEncoding;
  /** Columns the header must have: a missing one is a CsvFileError, with a hint when the delimiter looks wrong. */
  required?: readonly string[];
  /** Bytes read so far and the size, for a progress bar on large files. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface CsvRecord {
  /** Line number in the file where the row ends (the header is line 1), as a person counts rows in a spreadsheet. */
  row: number;
  /** Line where the row starts: before `row` only when a quoted cell spans lines (or a quote never closes). */
  firstLine: number;
  record: Record<string, string>;
  /** Set when the row's shape is wrong (more cells than the header, broken quoting): the row cannot be trusted. */
  problem?: string;
  /** Set when a quote opened on `firstLine` runs to `row` (or to the end of the file): the lines in between were read as one cell. */
  quoteSpan?: boolean;
}

/**
 * A problem with the file as a whole (its encoding, its header): nothing of it can be read right, so
 * nothing of it is imported. `line` is where it was found; `field` the column, when it is about one.
 */
export class CsvFileError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "CsvFileError";
  }
}

/**
 * Streams CSV with a header row (a file path or a source) as records keyed by column name, by RFC 4180:
 * cells separated by the delimiter, quoted cells may hold the delimiter, line breaks and doubled quotes.
 * Every line is accounted for: a row whose quoting is broken is handed over with its `problem` and the
 * reading goes on at the next line; a quote that runs over lines is handed over with the lines it took
 * (`firstLine`..`row`), so that the import can name each line it swallowed.
 */
export async function* csvRecords(
  input: string | CsvSource,
  onProgressOrOptions?: CsvReadOptions["onProgress"] | CsvReadOptions,
): AsyncGenerator<CsvRecord> {
  const options: CsvReadOptions = typeof onProgressOrOptions === "function" ? { onProgress: onProgressOrOptions } : (onProgressOrOptions ?? {});
  const source = typeof input === "string" ? fileSource(input) : input;
  const delimiter = options.delimiter ?? ",";
  let header: string[] | undefined;
  let lineNumber = 0;
  // A record whose quote is still open: its text so far and the line it started on.
  let open: { text: string; firstLine: number } | undefined;

  const toRecord = (cells: string[], firstLine: number, row: number, problem?: string, quoteSpan?: boolean): CsvRecord => {
    const record: Record<string, string> = {};
    const names = header!;
    for (let i = 0; i < names.length && i < cells.length; i++) record[names[i]!] = cells[i]!;
    const shape = problem ?? (cells.length > names.length ? `has ${cells.length} cells but the header has ${names.length} (${delimiter === "," ? "an unquoted comma, such as a decimal comma?" : `an unquoted "${delimiter}" inside a cell?`})` : undefined);
    return { row, firstLine, record, ...(shape && { problem: shape }), ...(quoteSpan && { quoteSpan }) };
  };

  const readHeader = (cells: string[]) => {
    header = cells.map((h) => h.trim());
    const seen = new Map<string, number>();
    header.forEach((name, i) => {
      if (name === "") return;
      const before = seen.get(name);
      if (before !== undefined) throw new CsvFileError(1, name, `the header has column "${name}" twice (columns ${before + 1} and ${i + 1}): which one holds the data is unknown, so nothing was imported; rename or remove one`);
      seen.set(name, i);
    });
    const missing = (options.required ?? []).filter((column) => !seen.has(column));
    if (missing.length > 0) {
      const hint = delimiterHint(cells, delimiter);
      throw new CsvFileError(
        1,
        missing.join(","),
        `the header has no column ${missing.map((m) => `"${m}"`).join(", ")} (it has ${header.map((h) => JSON.stringify(h)).join(", ")}), so nothing was imported${hint}`,
      );
    }
  };

  for await (const line of decodedLines(source, options)) {
    lineNumber++;
    let text = line;
    let firstLine = lineNumber;
    if (open) {
      open.text += `\n${line}`;
      // No quote on the line: the open cell goes on (and a long run costs no rescan per line).
      if (!line.includes('"')) continue;
      text = open.text;
      firstLine = open.firstLine;
      open = undefined;
    } else if (line.trim() === "") continue; // blank lines are no rows
    const cells = splitCells(text, delimiter);
    // A quoted cell runs on into the next line.
    if (cells === OPEN) {
      open = { text, firstLine };
      continue;
    }
    if (!header) {
      if (typeof cells === "string") throw new CsvFileError(lineNumber, "", `the header ${cells}`);
      readHeader(cells);
      continue;
    }
    if (typeof cells === "string") yield toRecord([], firstLine, lineNumber, cells, firstLine < lineNumber);
    else yield toRecord(cells, firstLine, lineNumber, undefined, firstLine < lineNumber);
  }
  if (open && header) {
    yield toRecord([], open.firstLine, lineNumber, `a quote opens on line ${open.firstLine} and never closes`, true);
  }
}

/** Lines of the source as text (without their \r\n or \n), decoded from its encoding. */
async function* decodedLines(source: CsvSource, options: CsvReadOptions): AsyncGenerator<string> {
  const encoding = options.encoding ?? "utf-8";
  // latin1 is windows-1252 to every browser and to TextDecoder (WHATWG Encoding); both read every byte.
  const decoder = new TextDecoder(encoding === "utf-8" ? "utf-8" : "windows-1252", { fatal: true });
  const stream = await source.open();
  const total = source.size ?? 0;
  let bytesRead = 0;
  let rest = "";
  let lines = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    bytesRead += bytes.length;
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      throw notUtf8Error(bytes, lines);
    }
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    for (const part of parts) {
      lines++;
      yield part.endsWith("\r") ? part.slice(0, -1) : part;
    }
    options.onProgress?.(bytesRead, total);
  }
  try {
    rest += decoder.decode();
  } catch {
    throw notUtf8Error(Buffer.alloc(0), lines);
  }
  if (rest !== "") yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}

/**
 * Reads the whole source once to see that it is in the encoding it is read in, so that a file that is
 * not is refused before any of it is imported (a spreadsheet's "CSV" on Windows is Windows-1252:
 * "José" read as UTF-8 would become "Jos\uFFFD" in a mail's greeting).
 */
export async function checkEncoding(source: CsvSource, encoding: CsvEncoding = "utf-8"): Promise<void> {
  if (encoding !== "utf-8") return; // every byte is a character in Windows-1252
  const stream = await source.open();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lines = 0;
  let first = true;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (first && bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
      stream.destroy();
      throw new CsvFileError(1, "", "the file is UTF-16 (a spreadsheet's \"Unicode text\"), not UTF-8, so nothing was imported: save it as \"CSV UTF-8\" and import it again");
    }
    first = false;
    try {
      decoder.decode(bytes, { stream: true });
    } catch {
      stream.destroy();
      throw notUtf8Error(bytes, lines);
    }
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  }
  try {
    decoder.decode();
  } catch {
    throw new CsvFileError(lines + 1, "", "the file ends inside a UTF-8 character: it is cut off or not UTF-8, so nothing was imported");
  }
}

/** Where the first byte that is not UTF-8 is, and what the file probably is. */
function notUtf8Error(bytes: Buffer, linesBefore: number): CsvFileError {
  const at = firstInvalidUtf8(bytes);
  const before = bytes.subarray(0, Math.max(0, at));
  let line = linesBefore + 1;
  for (let i = before.indexOf(10); i !== -1; i = before.indexOf(10, i + 1)) line++;
  const byte = at >= 0 ? bytes[at]! : 0;
  const lineStart = before.lastIndexOf(10) + 1;
  const context = new TextDecoder("windows-1252").decode(bytes.subarray(lineStart, Math.min(bytes.length, at + 12))).split(/\r?\n/)[0]!.slice(-40);
  return new CsvFileError(
    line,
    "",
    `the file is not UTF-8: byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")} on line ${line} ("${context.trim()}" read as Windows-1252) is not UTF-8. ` +
      `It looks like Windows-1252 (Latin-1), as a spreadsheet saves CSV on Windows: nothing was imported; import it again with --encoding windows-1252, or save it as "CSV UTF-8"`,
  );
}

/** Index of the first byte of an invalid UTF-8 sequence, or -1 (a sequence cut off at the end counts as valid). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length) return -1;
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return -1;
}

/** When the header is one cell holding ";" (or a tab), the file is separated by that, not by the delimiter used. */
function delimiterHint(cells: string[], delimiter: string): string {
  const joined = cells.join(delimiter);
  for (const other of [";", "\t", "|", ","]) {
    if (other === delimiter) continue;
    if (joined.split(other).length > cells.length) {
      const shown = other === "\t" ? "tab" : `"${other}"`;
      return `. The header looks separated by ${shown}: import it with --delimiter '${other === "\t" ? "\\t" : other}'`;
    }
  }
  return "";
}

/** What splitCells says of a record whose quoted cell is still open at the end of its text. */
const OPEN = Symbol("open quote");

/**
 * The cells of one record's text; a string saying what is wrong when its quoting is broken; OPEN when
 * a quoted cell has not closed yet. A quote opens a quoted cell only at the cell's start: cells
 * without quotes are taken as they are (a stray quote inside one, as in `5" screen`, is kept).
 */
function splitCells(text: string, delimiter: string): string[] | string | typeof OPEN {
  if (!text.includes('"')) return text.split(delimiter);
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return OPEN;
        value += text.slice(from, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      cells.push(value);
      if (i >= text.length) return cells;
      if (!text.startsWith(delimiter, i)) {
        return `has a quote that closes cell ${cells.length} before ${JSON.stringify(text.slice(i, i + 10))}: a quoted cell must end at the "${delimiter}" (write a quote inside a cell as "")`;
      }
      i += delimiter.length;
    } else {
      const next = text.indexOf(delimiter, i);
      if (next === -1) {
        cells.push(text.slice(i));
        return cells;
      }
      cells.push(text.slice(i, next));
      i = next + delimiter.length;
    }
  }
}
