import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvText, neutralisedCell } from "../../functions/adapters/csv/csv-text.js";
import { segmentCsv, type SegmentExportStore } from "../../functions/adapters/csv/segment-csv.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { writeScoresCsv } from "../../functions/local/cli/score-command.js";
import { contactScores } from "../support/contact-scores.js";

/** Cells a spreadsheet runs as formulas (OWASP, "CSV Injection"), as a store's contact ids, names or addresses could hold them. */
const HOSTILE = ['=HYPERLINK("http://x.example","y")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1", "\r=1+1"];

const scores = (contactId: string, historicClv = 12.5): ContactScores =>
  contactScores({
    contactId,
    orderCount: 2,
    lastOrderAt: "2024-02-01T00:00:00.000Z",
    historicClv,
    averageOrderValue: historicClv / 2,
    averageDaysBetweenOrders: 31,
    rfmRecency: 3,
    rfmFrequency: 3,
    rfmMonetary: 3,
    rfmGroup: "Need attention",
  });

describe("CSV injection: every CSV this system writes", () => {
  it("neutralises text cells that start a formula with a leading quote, and leaves others alone", () => {
    // Act and assess
    for (const cell of HOSTILE) expect(neutralisedCell(cell)).toBe(`'${cell}`);
    for (const cell of ["ann", "2024-01-01", "ann@example.com", "12.5", "O'Brien", ""]) expect(neutralisedCell(cell)).toBe(cell);
  });

  it("keeps numbers as numbers, a negative one included, and text that looks negative as text", () => {
    // Act
    const [row] = parse(csvText([["-42", -42, -3.5, 0, null, undefined]])) as string[][];
    // Assess
    expect(row).toEqual(["'-42", "-42", "-3.5", "0", "", ""]);
  });

  it("the scores CSV (clv score, npm start) opens as text in a spreadsheet", () => {
    // Prepare
    const path = join(mkdtempSync(join(tmpdir(), "clv-inject-")), "scores.csv");
    // Act
    writeScoresCsv(path, [...HOSTILE.map((id) => scores(id)), scores("refunded", -20)]);
    // Assess
    const rows = parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.customer_id)).toEqual([...HOSTILE.map((id) => `'${id}`), "refunded"]);
    for (const r of rows) for (const [column, cell] of Object.entries(r)) if (column !== "historicClv" && column !== "averageOrderValue") expect(cell, column).not.toMatch(/^[=+\-@\t\r]/);
    expect(rows.at(-1)!.historicClv).toBe("-20");
  });

  it("the segment export (clv export and the S3 export) neutralises ids and e-mail addresses", async () => {
    // Prepare: a store whose segment holds hostile ids and addresses
    const store: SegmentExportStore = {
      listSegmentDefinitions: async () => [{ id: "vip" } as never],
      activeSegmentMemberPages: async function* () {
        yield HOSTILE.map((id) => ({ contactId: id, enteredAt: "2024-03-01T00:00:00.000Z" }));
      },
      getContactsWithScores: async (ids) => new Map(ids.map((id) => [id, { contact: { profile: { email: `${id.trim()}@example.com`, subscription: "never_subscribed" } }, scores: scores(id) }])),
    };
    // Act
    const csv = await segmentCsv(store, "vip");
    let text = "";
    for await (const chunk of csv.chunks) text += chunk;
    // Assess
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.customer_id)).toEqual(HOSTILE.map((id) => `'${id}`));
    for (const r of rows) expect(r.email!.startsWith("'")).toBe(true);
    expect(rows[0]!.historicClv).toBe("12.5");
  });
});
