import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { SCORE_COLUMNS } from "../../functions/local/cli/score-command.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "clv-cli-"));

function clv(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "bin/clv.ts", ...args], { cwd: root, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CDNOW summaries (test/fixtures/cdnow, origin in test/support/cdnow.ts) with the CLI's column names. */
function cdnowSummaryFile(): string {
  const rows = readFileSync(join(root, "test/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  const path = join(dir, "cdnow-summary.csv");
  writeFileSync(path, ["customer_id,frequency,recency,T,monetary_value", ...rows].join("\n"));
  return path;
}

describe("clv fit --json (the contract other tools call)", () => {
  const summary = cdnowSummaryFile();

  it("prints the BG/NBD fit of the CDNOW sample as one JSON object", () => {
    const { status, stdout } = clv("fit", "--summary", summary, "--model", "bg-nbd", "--json");
    expect(status).toBe(0);
    const fit = JSON.parse(stdout);
    expect(Object.keys(fit)).toEqual(expect.arrayContaining(["model", "params", "logLikelihood", "customers", "converged", "iterations"]));
    expect(fit.model).toBe("bg-nbd");
    expect(Object.keys(fit.params)).toEqual(["r", "alpha", "a", "b"]);
    expect(fit.params.r).toBeCloseTo(0.243, 3); // Fader, Hardie & Lee (2005)
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1);
    expect(fit.customers).toBe(2357);
    expect(fit.converged).toBe(true);
  });

  it("fits Gamma-Gamma on the rows with frequency > 0", () => {
    const fit = JSON.parse(clv("fit", "--summary", summary, "--model", "gamma-gamma", "--json").stdout);
    expect(Object.keys(fit.params)).toEqual(["p", "q", "gamma"]);
    expect(fit.customers).toBe(946);
    expect(fit.params.p).toBeCloseTo(6.25, 1); // Fader & Hardie (2013)
  });

  it("names an unknown model", () => {
    const { status, stderr } = clv("fit", "--summary", summary, "--model", "bgnbd", "--json");
    expect(status).not.toBe(0);
    expect(stderr).toContain("bgnbd");
  });
});

describe("clv score", () => {
  const orders = join(dir, "orders.csv");
  writeFileSync(
    orders,
    [
      "order_id,customer_id,created_at,total,currency",
      "1,alice,2024-01-05T10:00:00Z,50.00,EUR",
      "2,alice,2024-02-10T10:00:00Z,70.00,EUR",
      "3,bob,2024-02-11,12,50,EUR",
      "4,bob,2024-02-11,abc,EUR",
      "5,carol,yesterday,20,EUR",
      "6,,2024-02-12,20,EUR",
      "7,dave,2024-03-01,-5,EUR",
      "8,erin,2024-03-02,30,EUR",
      "9,erin,2024-09-02,30,EUR",
    ].join("\n"),
  );

  it("reports each bad row by number and field, and scores the rest", () => {
    const out = join(dir, "scores.csv");
    const { status, stdout, stderr } = clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", out);
    expect(status).toBe(0);
    expect(stderr).toContain("row 4: has 6 cells but the header has 5");
    expect(stderr).toContain('row 5: field "total": expected a number, got "abc"');
    expect(stderr).toContain('row 6: field "created_at": expected a date');
    expect(stderr).toContain('row 7: field "customer_id": is empty');
    expect(stderr).toContain('row 8: field "total": must not be negative');
    expect(stdout).toContain("Eligible for predictions: no");
    expect(stdout).toContain("customers have placed an order; predictions need at least 500");
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(["customer_id", ...SCORE_COLUMNS]);
    // erin's September order is after the as-of date, so erin has one order.
    expect(rows.map((r) => r.customer_id).sort()).toEqual(["alice", "erin"]);
    const alice = rows.find((r) => r.customer_id === "alice")!;
    expect(alice.orderCount).toBe("2");
    expect(Number(alice.historicClv)).toBe(120);
    expect(alice.predictedClv12m).toBe("");
    expect(rows.find((r) => r.customer_id === "erin")!.orderCount).toBe("1");
  });

  it("--strict stops at the first bad row", () => {
    const { status, stderr } = clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "strict.csv"), "--strict");
    expect(status).toBe(1);
    expect(stderr.trim().split("\n")).toEqual(["row 4: has 6 cells but the header has 5 (an unquoted comma, such as a decimal comma?)"]);
  });

  it("rejects an as-of that is not a date", () => {
    const { status, stderr } = clv("score", "--orders", orders, "--as-of", "31/03/2024", "--out", join(dir, "x.csv"));
    expect(status).not.toBe(0);
    expect(stderr).toContain("expected a date as YYYY-MM-DD");
  });
});
