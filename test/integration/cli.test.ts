import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { SCORE_COLUMNS } from "../../functions/local/cli/score-command.js";
import { clv } from "../support/clv.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "clv-cli-"));


/** The CDNOW summaries (test/fixtures/cdnow, origin in test/support/cdnow.ts) with the CLI's column names. */
function cdnowSummaryFile(): string {
  const rows = readFileSync(join(root, "test/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  const path = join(dir, "cdnow-summary.csv");
  writeFileSync(path, ["customer_id,frequency,recency,T,monetary_value", ...rows].join("\n"));
  return path;
}

describe("clv fit --json (the contract other tools call)", () => {
  const summary = cdnowSummaryFile();

  it("prints the BG/NBD fit of the CDNOW sample as one JSON object", async () => {
    const { status, stdout } = await clv("fit", "--summary", summary, "--model", "bg-nbd", "--json");
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

  it("fits Gamma-Gamma on the rows with frequency > 0", async () => {
    const fit = JSON.parse((await clv("fit", "--summary", summary, "--model", "gamma-gamma", "--json")).stdout);
    expect(Object.keys(fit.params)).toEqual(["p", "q", "gamma"]);
    expect(fit.customers).toBe(946);
    expect(fit.params.p).toBeCloseTo(6.25, 1); // Fader & Hardie (2013)
  });

  it("names an unknown model", async () => {
    const { status, stderr } = await clv("fit", "--summary", summary, "--model", "bgnbd", "--json");
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

  it("reports each bad row by number and field, and scores the rest", async () => {
    const out = join(dir, "scores.csv");
    const { status, stdout, stderr } = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", out);
    expect(status).toBe(0);
    expect(stderr).toContain("row 4: has 6 cells but the header has 5");
    expect(stderr).toContain('row 5: field "total": expected a number, got "abc"');
    expect(stderr).toContain('row 6: field "created_at": expected a date');
    expect(stderr).toContain('row 7: field "customer_id": is empty');
    // Row 8 is a credit note (a negative total): no bad row, and dave, who has nothing else, has no purchase.
    expect(stderr).not.toContain("row 8");
    expect(stdout).toContain("Cancellations and refunds: 1 credit note netted from their contacts' revenue (€5.00)");
    expect(stdout).toContain("Eligible for predictions: no");
    expect(stdout).toContain("customers have placed an order; predictions need at least 500");
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(["customer_id", "currency", ...SCORE_COLUMNS]);
    // The store's currency (--currency, EUR by default) on every row, so no amount is read without it.
    expect(new Set(rows.map((r) => r.currency))).toEqual(new Set(["EUR"]));
    // erin's September order is after the as-of date, so erin has one order.
    expect(rows.map((r) => r.customer_id).sort()).toEqual(["alice", "erin"]);
    const alice = rows.find((r) => r.customer_id === "alice")!;
    expect(alice.orderCount).toBe("2");
    expect(Number(alice.historicClv)).toBe(120);
    expect(alice.predictedClv12m).toBe("");
    expect(rows.find((r) => r.customer_id === "erin")!.orderCount).toBe("1");
  });

  it("--strict stops at the first bad row", async () => {
    const { status, stderr } = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "strict.csv"), "--strict");
    expect(status).toBe(1);
    expect(stderr.trim().split("\n")).toEqual(["row 4: has 6 cells but the header has 5 (an unquoted comma, such as a decimal comma?)"]);
  });

  it("rejects an as-of that is not a date", async () => {
    const { status, stderr } = await clv("score", "--orders", orders, "--as-of", "31/03/2024", "--out", join(dir, "x.csv"));
    expect(status).not.toBe(0);
    expect(stderr).toContain("expected a date as YYYY-MM-DD");
  });
});

describe("mistakes in a whole file come back as one line that names the file", () => {
  it("a summary file without customer_id (the CDNOW fixture's own header, ID): the columns it has", async () => {
    // Prepare: the fixture as published, origin in test/support/cdnow.ts
    const summary = join(root, "test/fixtures/cdnow/cdnow_customers_summary.csv");
    // Act
    const { status, stdout, stderr } = await clv("fit", "--summary", summary, "--model", "bg-nbd");
    // Assess
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toBe('error: cdnow_customers_summary.csv: no column "customer_id"; the columns are ID, frequency, recency, T');
  });

  it("an orders file without a column the score needs", async () => {
    const orders = join(dir, "orders-no-total.csv");
    writeFileSync(orders, "order_id,customer_id,created_at,amount\n1,ann,2024-01-05,10\n");
    const { status, stderr } = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "no-total.csv"));
    expect(status).toBe(1);
    expect(stderr.trim()).toBe('error: orders-no-total.csv: no column "total"; the columns are order_id, customer_id, created_at, amount');
  });

  it("a ';'-separated file: says to give --delimiter ';', and with it reads the file", async () => {
    // Prepare: decimal commas, as a German spreadsheet writes them
    const orders = join(dir, "orders-semicolon.csv");
    writeFileSync(orders, "order_id;customer_id;created_at;total\n1;ann;2024-01-05;12,50\n2;ann;2024-02-05;20\n3;ben;2024-02-06;7.5\n");
    // Act
    const refused = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "semicolon.csv"));
    const read = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "semicolon.csv"), "--delimiter", ";");
    // Assess
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe("error: orders-semicolon.csv: a ';'-separated file: use --delimiter ';'");
    expect(read.stderr).toContain('row 2: field "total": expected a number, got "12,50"');
    expect(read.stdout).toContain("Wrote 2 contacts");
  });

  it("clv score with no contact to score is an error, not an empty file", async () => {
    // Prepare
    const later = join(dir, "orders-later.csv");
    writeFileSync(later, "order_id,customer_id,created_at,total\n1,ann,2024-05-05,10\n");
    const bad = join(dir, "orders-bad.csv");
    writeFileSync(bad, "order_id,customer_id,created_at,total\n1,ann,yesterday,10\n2,ben,2024-01-05,abc\n");
    const credits = join(dir, "orders-credits.csv");
    writeFileSync(credits, "order_id,customer_id,created_at,total\n1,ann,2024-01-05,-10\n2,ben,2024-06-05,30\n");
    const empty = join(dir, "orders-empty.csv");
    writeFileSync(empty, "order_id,customer_id,created_at,total\n");
    const out = join(dir, "none.csv");
    // Act
    const runs = [];
    for (const file of [later, bad, empty, credits]) runs.push(await clv("score", "--orders", file, "--as-of", "2024-03-31", "--out", out));
    // Assess
    expect(runs.map((r) => r.status)).toEqual([1, 1, 1, 1]);
    expect(runs[0]!.stderr.trim()).toBe("error: orders-later.csv: no contacts to score as of 2024-03-31: all 1 orders are later; give a later --as-of");
    expect(runs[1]!.stderr.trim().split("\n")).toEqual([
      "error: orders-bad.csv: no orders to score: every row is bad (2 problems)",
      'row 2: field "created_at": expected a date like 2024-05-31 or a time like 2024-05-31T14:03:00Z, got "yesterday"',
      'row 3: field "total": expected a number, got "abc"',
    ]);
    expect(runs[2]!.stderr.trim()).toBe("error: orders-empty.csv: no orders to score: the file has no rows below its header");
    expect(runs[3]!.stderr.trim()).toBe(
      "error: orders-credits.csv: no contacts to score as of 2024-03-31: none of the file's 2 good rows is a purchase by then (1 of them later than 2024-03-31, the rest credit notes, cancelled or refunded orders)",
    );
    expect(existsSync(out)).toBe(false);
  });

  it("counts an order for what the store kept of it, in the store's currency: cancelled and refunded orders out, partial refunds off, other currencies converted or refused", async () => {
    // Prepare: a platform's export with status, refunds and a second currency
    const orders = join(dir, "orders-refunds.csv");
    writeFileSync(
      orders,
      [
        "order_id,customer_id,created_at,total,currency,exchange_rate,total_in_store_currency,status,refunded_amount",
        "1,ann,2024-01-05,100.00,EUR,,,placed,",
        "2,ann,2024-02-05,40.00,EUR,,,placed,15.00",
        "3,ann,2024-02-06,500.00,EUR,,,cancelled,",
        "4,ann,2024-02-07,80.00,EUR,,,,80.00",
        "5,ann,2024-02-08,60.00,EUR,,,refunded,",
        "6,ann,2024-02-09,100.00,GBP,1.2,,placed,10.00",
        "7,ann,2024-02-10,10000,JPY,,62.00,,",
        "8,ben,2024-02-11,30.00,GBP,,,,",
        "9,ben,2024-02-12,30.00,EUR,,,shipped,",
        "10,ben,2024-02-13,30.00,EUR,,,,31",
        "11,ben,2024-02-14,25.00,,,,,",
      ].join("\n"),
    );
    const out = join(dir, "refunds.csv");
    // Act
    const { status, stdout, stderr } = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", out);
    // Assess: ann 100 + (40 − 15) + (100 − 10) × 1.2 + 62 = 295 over 4 orders; ben's good row 25
    expect(status).toBe(0);
    expect(stderr).toContain("row 9: field \"currency\": is GBP but the scores are in EUR (the currency of the file's first order): give the row exchange_rate (EUR per GBP) or total_in_store_currency, or score with --currency GBP");
    expect(stdout).toContain("Amounts in EUR, the currency of the file's orders (give --currency to score in another)");
    expect(stderr).toContain('row 10: field "status": expected placed, cancelled or refunded, got "shipped"');
    expect(stderr).toContain('row 11: field "refunded_amount": is 31 but the order\'s total is 30: at most the total can be refunded');
    expect(stdout).toContain("Cancellations and refunds: 3 orders not counted (1 cancelled, 2 refunded whole); 2 counted net of partial refunds (€27.00 in all)");
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    const ann = rows.find((r) => r.customer_id === "ann")!;
    expect(ann.orderCount).toBe("4");
    expect(Number(ann.historicClv)).toBeCloseTo(295, 9);
    expect(rows.find((r) => r.customer_id === "ben")!.historicClv).toBe("25");
  });

  it("scores a file in its own currency when none is given, and refuses its rows naming it when another is", async () => {
    // Prepare: a shop selling in pounds
    const orders = join(dir, "orders-gbp.csv");
    writeFileSync(orders, "order_id,customer_id,created_at,total,currency\n1,ann,2024-01-05,40.00,GBP\n2,ann,2024-02-05,60.00,GBP\n3,ben,2024-02-06,25.00,gbp\n");
    // Act
    const own = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "gbp.csv"));
    const other = await clv("score", "--orders", orders, "--as-of", "2024-03-31", "--out", join(dir, "gbp-as-eur.csv"), "--currency", "EUR");
    // Assess
    expect(own.status).toBe(0);
    expect(own.stdout).toContain("Amounts in GBP, the currency of the file's orders (give --currency to score in another)");
    const rows = parse(readFileSync(join(dir, "gbp.csv"), "utf8"), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.customer_id, r.currency, r.historicClv])).toEqual([
      ["ann", "GBP", "100"],
      ["ben", "GBP", "25"],
    ]);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('row 2: field "currency": is GBP but the scores are in EUR (--currency): give the row exchange_rate (EUR per GBP) or total_in_store_currency, or score with --currency GBP');
    expect(existsSync(join(dir, "gbp-as-eur.csv"))).toBe(false);
  });

  it("gamma-gamma on a file without monetary_value names the column", async () => {
    const summary = join(dir, "no-monetary.csv");
    writeFileSync(summary, "customer_id,frequency,recency,T\na,1,2,3\n");
    const { status, stderr } = await clv("fit", "--summary", summary, "--model", "gamma-gamma");
    expect(status).toBe(1);
    expect(stderr.trim()).toBe("error: no-monetary.csv: gamma-gamma needs a monetary_value column; the columns are customer_id, frequency, recency, T");
  });
});

describe("an ineligible store whose orders stop long before the as-of date", () => {
  it("is told which --as-of to give", async () => {
    // Prepare: 600 customers, two orders each, the last in 2011 (as the demo store's)
    const orders = join(dir, "orders-2011.csv");
    const rows = ["order_id,customer_id,created_at,total"];
    for (let i = 0; i < 600; i++) rows.push(`a${i},c${i},2011-0${1 + (i % 6)}-10,20`, `b${i},c${i},2011-12-0${1 + (i % 9)},30`);
    writeFileSync(orders, rows.join("\n"));
    // Act
    const { status, stdout } = await clv("score", "--orders", orders, "--as-of", "2026-11-27", "--out", join(dir, "old.csv"));
    // Assess
    expect(status).toBe(0);
    expect(stdout).toContain("No predictions: the last order was 5467 days ago");
    expect(stdout).toContain("Hint: the last order is from 2011-12-09, 5467 days before 2026-11-27; to score the store as it was then, give --as-of 2011-12-09");
  });
});
