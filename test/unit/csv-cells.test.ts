import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { readCsvCells } from "../../functions/adapters/csv/csv-cells.js";

const dir = mkdtempSync(join(tmpdir(), "clv-csv-cells-"));
let files = 0;

/** Every row of `text` as [cells, row number, problem], the header as row 1. */
async function cellsOf(text: string, delimiter = ","): Promise<[string[], number, string | undefined][]> {
  const path = join(dir, `${files++}.csv`);
  writeFileSync(path, text);
  const rows: [string[], number, string | undefined][] = [];
  await readCsvCells(path, { header: (columns) => rows.push([columns, 1, undefined]), row: (cells, count, row, problem) => rows.push([cells.slice(0, count), row, problem]) }, { delimiter });
  return rows;
}

/** What csv-parse (the reader of `clv import`) makes of it, the header trimmed as ours is. */
function csvParse(text: string): [string[], number, undefined][] {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  return records.map(({ record, info }, i) => [i === 0 ? record.map((c) => c.trim()) : record, info.lines, undefined]);
}

describe("readCsvCells: the rows csv-parse reads, numbered as it numbers them", () => {
  it.each([
    ["empty lines skipped, still counted", "a,b\n1,2\n\n3,4\n"],
    ["a BOM and CRLF", "\uFEFF a ,b\r\n1,2\r\n"],
    ["quoted cells with quotes, delimiters and line breaks", 'a,b\n"x\ny",2\n"1""x","q,1"\n3,"4"'],
    ["short and long rows", "a,b\n1,2,3\n4\n,\n"],
    ["a cell of spaces", "a,b\n1,2\n \n3,4"],
    ["one column, no final line break", "a\n1"],
  ])("%s", async (_, text) => {
    expect(await cellsOf(text)).toEqual(csvParse(text));
  });

  it("reads across its 1 MB blocks: 150,000 rows, every seventh with a quoted line break", async () => {
    // Prepare
    let text = "id,name,total\n";
    for (let i = 0; i < 150_000; i++) text += i % 7 === 0 ? `${i},"na""me, ${i}\nline",${i}.5\n` : `${i},name ${i},${i}.5\n`;
    // Act
    const rows = await cellsOf(text);
    // Assess
    expect(rows.length).toBe(150_001);
    expect(rows).toEqual(csvParse(text));
  });

  it("reads rows longer than a block: a line of 2.5 MB, and a quoted cell of 3 MB with line breaks in it", async () => {
    // Prepare
    const text = `a,b\n1,${"x".repeat(2_500_000)}\n2,"${"é\n".repeat(1_000_000)}"\n3,4\n`;
    // Act
    const rows = await cellsOf(text);
    // Assess
    expect(rows.map(([cells, row]) => [cells.map((c) => c.length), row])).toEqual([[[1, 1], 1], [[1, 2_500_000], 2], [[1, 2_000_000], 1_000_003], [[1, 1], 1_000_004]]);
    expect(rows).toEqual(csvParse(text));
  });

  it("reads files that end exactly at a block's end or just after it, with a character of several bytes across the boundary", async () => {
    // Prepare: rows of "é" (two bytes) padded so the file is exactly 1 MB, 2 MB, or three bytes over, with and without a final line break.
    const block = 1 << 20;
    const texts: string[] = [];
    for (const size of [block, 2 * block, 2 * block + 3]) {
      for (const ending of ["\n", ""]) {
        const lines = ["id,name\n"];
        for (let i = 0, bytes = lines[0]!.length; bytes < size - 40; i++) {
          lines.push(`${i},${"é".repeat(100)}${i % 10 === 0 ? "€" : ""}\n`);
          bytes += Buffer.byteLength(lines.at(-1)!);
        }
        const text = lines.join("");
        const room = size - Buffer.byteLength(text) - Buffer.byteLength(ending) - 2;
        texts.push(`${text}x,${"é".repeat(room >> 1)}${room % 2 ? "a" : ""}${ending}`);
      }
    }
    for (const text of texts) {
      // Act
      const rows = await cellsOf(text);
      // Assess
      expect(rows).toEqual(csvParse(text));
    }
    expect(texts.map((t) => Buffer.byteLength(t) % block)).toEqual([0, 0, 0, 0, 3, 3]);
  });

  it("hands a row without quotes to rowSpans as where its cells are, and to row when rowSpans leaves it", async () => {
    // Prepare: rowSpans takes the rows whose first cell is "take"; the quoted row never reaches it.
    const text = 'a,b,c\ntake,1,2\nleave,3\n\ntake,,\n"take",4,5\ntake\n';
    const path = join(dir, `${files++}.csv`);
    writeFileSync(path, text);
    const taken: [string[], number][] = [];
    const rows: [string[], number][] = [];
    // Act
    await readCsvCells(path, {
      header: () => undefined,
      row: (cells, count, row) => rows.push([cells.slice(0, count), row]),
      rowSpans(line, spans, count, row) {
        const cells = Array.from({ length: count }, (_, k) => line.slice(spans[2 * k], spans[2 * k + 1]));
        if (cells[0] !== "take") return false;
        taken.push([cells, row]);
        return true;
      },
    });
    // Assess: together, the rows csv-parse reads, numbered as it numbers them.
    expect(taken).toEqual([
      [["take", "1", "2"], 2],
      [["take", "", ""], 5],
      [["take"], 7],
    ]);
    expect(rows).toEqual([
      [["leave", "3"], 3],
      [["take", "4", "5"], 6],
    ]);
    expect([...taken, ...rows].sort((x, y) => x[1] - y[1])).toEqual(csvParse(text).slice(1).map(([cells, row]) => [cells, row]));
  });

  it("reads another delimiter", async () => {
    // Act and assess
    expect(await cellsOf("a;b\n1,5;2\n", ";")).toEqual([[["a", "b"], 1, undefined], [["1,5", "2"], 2, undefined]]);
    expect(await cellsOf("a\tb\n1\t2\n", "\t")).toEqual([[["a", "b"], 1, undefined], [["1", "2"], 2, undefined]]);
  });

  it("reports broken quoting on its row and reads on", async () => {
    // Act
    const rows = await cellsOf('a,b\n1"2,3\n"12"3,4\n5,6\n"7,8\n9,10\n');
    // Assess
    expect(rows.map(([, row, problem]) => [row, problem])).toEqual([
      [1, undefined],
      [2, 'a quote inside cell 1, which does not start with one: quote the whole cell and double the quotes inside it ("12""5")'],
      [3, 'text after the closing quote of cell 1: quote the whole cell and double the quotes inside it ("12""5")'],
      [4, undefined],
      [5, "a quoted cell (cell 1) opens here and is never closed: the rest of the file was read into it"],
    ]);
  });

  it("gives an empty header for an empty file", async () => {
    // Act and assess
    expect(await cellsOf("")).toEqual([[[], 1, undefined]]);
  });
});
