import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { parse } from "csv-parse/sync";
import { beforeEach, describe, expect, it } from "vitest";
import { SCORE_COLUMNS, SEGMENT_CSV_COLUMNS, segmentCsv, SegmentNotFoundError } from "../../functions/adapters/csv/segment-csv.js";
import type { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { putSegmentExport } from "../../functions/adapters/s3/segment-export.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { InvalidEventError } from "../../functions/handlers/events.js";
import { exportSegmentHandler } from "../../functions/handlers/segment-export.js";
import { exportSegment } from "../../functions/local/cli/segment-commands.js";
import { SCORE_COLUMNS as SCORE_FILE_COLUMNS } from "../../functions/local/cli/score-command.js";
import { useDynalite } from "../support/dynalite.js";

/** The segment export's S3 path: S3 mocked (aws-sdk-client-mock), the store in dynalite. */
const dynalite = useDynalite("segment-export");
const s3 = mockClient(S3Client);
const NOW = Date.parse("2024-06-30T00:00:00Z");
const winBack = segmentTemplates.find((t) => t.id === "win-back")!;
// Fixed credentials: the pre-signer signs locally and needs no AWS.
const s3Client = () => new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } });

const scoresOf = (contactId: string, churnRisk: number, historicClv: number): ContactScores => ({
  contactId,
  orderCount: 4,
  firstOrderAt: "2023-01-10T10:00:00.000Z",
  lastOrderAt: "2023-09-01T10:00:00.000Z",
  historicClv,
  averageOrderValue: historicClv / 4,
  averageDaysBetweenOrders: 78.6,
  predictedOrders12m: 0.4213,
  predictedClv12m: 81.25,
  totalClv: historicClv + 81.25,
  pAlive: 0.3561,
  churnRisk,
  churnBand: churnRisk < 0.33 ? "low" : churnRisk <= 0.66 ? "medium" : "high",
  expectedNextOrderAt: "2023-11-20",
  rfmRecency: 1,
  rfmFrequency: 5,
  rfmMonetary: 4,
  rfmGroup: "Can't lose them",
});

/** Win-Back with three members: two scored with an e-mail, one (entered by hand) with neither. */
async function storeWithWinBack(): Promise<DynamoDbStore> {
  const { store } = await dynalite.newStore();
  await store.putSegmentDefinition(winBack);
  await store.putContact("ann", { email: "ann@example.com", subscription: "subscribed", consentAt: "2023-01-01T00:00:00Z" });
  await store.putContact("ben", { email: "ben@example.com", subscription: "unsubscribed", consentAt: "2023-05-01T00:00:00Z" });
  await store.putScores([scoresOf("ann", 0.8312, 800), scoresOf("ben", 0.0457, 412.5)]);
  const enteredAt = "2024-06-29T03:00:00.000Z";
  await store.applyMembershipChanges("win-back", { entered: ["ann", "ben", "cat"].map((contactId) => ({ contactId, enteredAt })), left: [], stayed: 0 });
  // A member that left is not exported.
  await store.applyMembershipChanges("win-back", { entered: [], left: [{ contactId: "dan", enteredAt, leftAt: "2024-06-29T04:00:00.000Z" }], stayed: 0 });
  return store;
}

const exportWith = (store: DynamoDbStore) => exportSegmentHandler({ store: async () => store, s3: s3Client(), bucket: "clv-exports", expiresInSeconds: 3600, clock: () => NOW });
const putBody = () => String(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body);
const rowsOf = (csv: string) => parse(csv, { columns: true }) as Record<string, string>[];

describe("segment export to S3 with a pre-signed URL", () => {
  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });

  it("puts a CSV with a header, one row per active member, e-mail and churn risk as a number 0–1, and signs a GET that expires", async () => {
    // Prepare
    const store = await storeWithWinBack();

    // Act
    const result = await exportWith(store)({ segmentId: "win-back" });

    // Assess
    expect(result).toEqual({ url: expect.any(String), expiresAt: "2024-06-30T01:00:00.000Z", key: "exports/win-back/2024-06-30T00-00-00.000Z.csv", members: 3 });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: "clv-exports", Key: result.key, ContentType: "text/csv; charset=utf-8", ContentDisposition: 'attachment; filename="win-back-2024-06-30.csv"' });
    const csv = putBody();
    expect(csv.split("\n")[0]).toBe(SEGMENT_CSV_COLUMNS.join(","));
    const rows = rowsOf(csv);
    expect(rows.map((r) => r.customer_id).sort()).toEqual(["ann", "ben", "cat"]);
    const ann = rows.find((r) => r.customer_id === "ann")!;
    expect(ann).toMatchObject({ email: "ann@example.com", enteredSegmentAt: "2024-06-29T03:00:00.000Z", churnRisk: "0.8312", churnBand: "high", historicClv: "800", rfmGroup: "Can't lose them" });
    for (const row of rows.filter((r) => r.customer_id !== "cat")) {
      const churnRisk = Number(row.churnRisk);
      expect(churnRisk).toBeGreaterThanOrEqual(0);
      expect(churnRisk).toBeLessThanOrEqual(1);
      expect(row.email).toMatch(/@example\.com$/);
    }
    // Not scored yet, no profile: every figure an empty cell, not "null" or 0.
    expect(rows.find((r) => r.customer_id === "cat")).toEqual(Object.fromEntries(SEGMENT_CSV_COLUMNS.map((c) => [c, c === "customer_id" ? "cat" : c === "enteredSegmentAt" ? "2024-06-29T03:00:00.000Z" : ""])));

    const url = new URL(result.url);
    expect(url.hostname).toBe("clv-exports.s3.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe(`/${result.key}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("3600");
    expect(url.searchParams.get("X-Amz-Date")).toBe("20240630T000000Z");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("carries each member's subscription, and with mailable keeps only those that may be mailed now", async () => {
    // Prepare
    const store = await storeWithWinBack();

    // Act
    const all = await exportWith(store)({ segmentId: "win-back" });
    const allRows = rowsOf(putBody());
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    const mailable = await exportWith(store)({ segmentId: "win-back", mailable: true });

    // Assess
    expect(all.members).toBe(3);
    expect(allRows.find((r) => r.customer_id === "ann")).toMatchObject({ subscription: "subscribed", consentAt: "2023-01-01T00:00:00Z", optedOutAt: "" });
    expect(allRows.find((r) => r.customer_id === "ben")).toMatchObject({ subscription: "unsubscribed" });
    expect(mailable.members).toBe(1);
    expect(rowsOf(putBody()).map((r) => r.customer_id)).toEqual(["ann"]);
  });

  it("writes the same CSV locally (`clv export`) as it puts in S3", async () => {
    const store = await storeWithWinBack();
    await exportWith(store)({ segmentId: "win-back" });
    const file = join(mkdtempSync(join(tmpdir(), "clv-export-")), "win-back.csv");
    expect(await exportSegment(store, "win-back", file)).toBe(3);
    expect(readFileSync(file, "utf8")).toBe(putBody());
  });

  it("gives the same rows whatever the page size the members are read in", async () => {
    const store = await storeWithWinBack();
    const text = async (pageSize?: number) => {
      let out = "";
      for await (const chunk of (await segmentCsv(store, "win-back", pageSize === undefined ? {} : { pageSize })).chunks) out += chunk;
      return out;
    };
    expect(await text(1)).toBe(await text());
  });

  it("refuses an unknown segment and a bad request, and writes nothing", async () => {
    const store = await storeWithWinBack();
    await expect(exportWith(store)({ segmentId: "vip" })).rejects.toThrow(SegmentNotFoundError);
    await expect(exportWith(store)({ segmentId: "Win Back" })).rejects.toThrow(InvalidEventError);
    await expect(exportWith(store)({})).rejects.toThrow(/segmentId/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("exports an empty segment as the header alone", async () => {
    const { store } = await dynalite.newStore();
    await store.putSegmentDefinition(winBack);
    expect(await exportWith(store)({ segmentId: "win-back" })).toMatchObject({ members: 0 });
    expect(putBody()).toBe(`${SEGMENT_CSV_COLUMNS.join(",")}\n`);
  });

  it("refuses a URL lifetime beyond SigV4's 7 days", async () => {
    const store = await storeWithWinBack();
    const csv = await segmentCsv(store, "win-back");
    await expect(putSegmentExport({ s3: s3Client(), bucket: "b" }, csv, { now: NOW, expiresInSeconds: 8 * 86_400 })).rejects.toThrow(/1 to 604800 seconds/);
  });

  it("names the figures as the score CSV does", () => {
    expect(SCORE_COLUMNS).toEqual(SCORE_FILE_COLUMNS);
  });
});

describe("POST /segments/{id}/export", () => {
  const event = (id: string) => ({ routeKey: "POST /segments/{id}/export", pathParameters: { id }, headers: {}, isBase64Encoded: false }) as never;
  const base = { store: {} as never, clock: () => NOW, unsubscribeSecret: async () => "x".repeat(32) };

  it("answers the link, 404 for a segment that does not exist, 400 for a bad id, 501 where exports are not set up", async () => {
    const { postSegmentExport } = await import("../../functions/handlers/http/routes.js");
    const link = { url: "https://exports.example/x.csv?X-Amz-Expires=3600", expiresAt: "2024-06-30T01:00:00.000Z", key: "exports/win-back/x.csv", members: 3 };
    const exportSegment = async (id: string) => {
      if (id !== "win-back") throw new SegmentNotFoundError(id);
      return link;
    };
    const ok = await postSegmentExport(event("win-back"), { ...base, exportSegment });
    expect([ok.statusCode, JSON.parse(ok.body!)]).toEqual([200, link]);
    expect((await postSegmentExport(event("nope"), { ...base, exportSegment })).statusCode).toBe(404);
    expect((await postSegmentExport(event("Bad Id!"), { ...base, exportSegment })).statusCode).toBe(400);
    expect((await postSegmentExport(event("win-back"), base)).statusCode).toBe(501);
  });

  it("passes ?mailable=true to the export, and refuses any other value naming the field", async () => {
    const { postSegmentExport } = await import("../../functions/handlers/http/routes.js");
    const asked: unknown[] = [];
    const exportSegment = async (id: string, options?: { mailable?: boolean }) => {
      asked.push(options);
      return { url: "https://exports.example/x.csv", expiresAt: "2024-06-30T01:00:00.000Z", key: `exports/${id}/x.csv`, members: 1 };
    };
    const withQuery = (mailable: string) => ({ ...(event("win-back") as object), queryStringParameters: { mailable } }) as never;
    expect((await postSegmentExport(withQuery("true"), { ...base, exportSegment })).statusCode).toBe(200);
    const bad = await postSegmentExport(withQuery("yes"), { ...base, exportSegment });
    expect([bad.statusCode, JSON.parse(bad.body!)]).toEqual([400, { error: "invalid query", fields: [{ field: "mailable", message: "must be true or false" }] }]);
    expect(asked).toEqual([{ mailable: true }]);
  });
});
