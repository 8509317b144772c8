import { mkdtempSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { parse } from "csv-parse/sync";
import { beforeEach, describe, expect, it } from "vitest";
import { SCORE_COLUMNS, SEGMENT_CSV_COLUMNS, segmentCsv, type SegmentExportStore } from "../../functions/adapters/csv/segment-csv.js";
import type { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { signExportDownload, writeExportObject } from "../../functions/adapters/s3/segment-export.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { segmentExports } from "../../functions/domain/segments/segment-export-job.js";
import { SegmentNotFoundError } from "../../functions/domain/segments/segment-definition.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { InvalidEventError } from "../../functions/handlers/events.js";
import { getExport, postSegmentExport } from "../../functions/handlers/http/routes.js";
import { exportSegmentHandler, segmentExportPorts } from "../../functions/handlers/segment-export.js";
import { exportSegment } from "../../functions/local/cli/segment-commands.js";
import { SCORE_COLUMNS as SCORE_FILE_COLUMNS } from "../../functions/local/cli/score-command.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { localSegmentExports } from "../../functions/local/local-exports.js";
import { useDynalite } from "../support/dynalite.js";

/** Segment exports as jobs: S3 and Step Functions mocked (aws-sdk-client-mock), the store in dynalite. */
const dynalite = useDynalite("segment-export");
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const NOW = Date.parse("2024-06-30T00:00:00Z");
const winBack = segmentTemplates.find((t) => t.id === "win-back")!;
// Fixed credentials: the pre-signer signs locally and needs no AWS.
const s3Client = () => new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } });
const ENV = { EXPORT_BUCKET: "clv-exports", EXPORT_URL_EXPIRES_SECONDS: "3600", EXPORT_RETENTION_DAYS: "7", EXPORT_STATE_MACHINE_ARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:Export", STORE_CURRENCY: "GBP" };

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

/** The export jobs as the API Lambda and the exporter Lambda make them, at a clock the test moves. */
function awsExports(store: DynamoDbStore, clock = { now: NOW }) {
  const ports = segmentExportPorts(store, ENV, { s3: s3Client(), signer: s3Client(), sfn: new SFNClient({ region: "eu-west-1" }) }, () => clock.now);
  return { ports, exports: segmentExports(ports), exporter: exportSegmentHandler(async () => ports), clock };
}

const putBody = () => String(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body);
const rowsOf = (csv: string) => parse(csv, { columns: true }) as Record<string, string>[];
const textOf = async (chunks: AsyncIterable<string>) => {
  let out = "";
  for await (const chunk of chunks) out += chunk;
  return out;
};

beforeEach(() => {
  s3.reset();
  sfn.reset();
  s3.on(PutObjectCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:aws:states:eu-west-1:123456789012:execution:Export:x" });
});

describe("segment export jobs on AWS", () => {
  it("records a pending job, starts the export state machine named by the export id, and the exporter writes the CSV and marks it done", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter, clock } = awsExports(store);

    // Act
    const job = await exports.request("win-back");
    const pending = await exports.answer(job.exportId);
    clock.now += 60_000;
    const done = await exporter({ exportId: job.exportId });
    const answer = await exports.answer(job.exportId);

    // Assess
    expect(job).toMatchObject({ segmentId: "win-back", mailable: false, status: "pending", requestedAt: "2024-06-30T00:00:00.000Z" });
    expect(pending).toEqual({ statusCode: 200, body: expect.objectContaining({ exportId: job.exportId, status: "running" }) });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([{ stateMachineArn: ENV.EXPORT_STATE_MACHINE_ARN, name: job.exportId, input: JSON.stringify({ exportId: job.exportId }) }]);
    expect(done).toMatchObject({ status: "done", key: `exports/win-back/${job.exportId}.csv`, members: 3, notMailable: 0, startedAt: "2024-06-30T00:01:00.000Z" });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: "clv-exports", Key: done.key, ContentType: "text/csv; charset=utf-8", ContentDisposition: 'attachment; filename="win-back-2024-06-30.csv"' });
    const csv = putBody();
    expect(csv.split("\n")[0]).toBe(SEGMENT_CSV_COLUMNS.join(","));
    const rows = rowsOf(csv);
    expect(rows.map((r) => r.customer_id).sort()).toEqual(["ann", "ben", "cat"]);
    // Every row names the store's currency (the deployment's STORE_CURRENCY), next to the amounts.
    expect(rows.find((r) => r.customer_id === "ann")).toMatchObject({ email: "ann@example.com", enteredSegmentAt: "2024-06-29T03:00:00.000Z", currency: "GBP", churnRisk: "0.8312", churnBand: "high", historicClv: "800" });
    expect(SEGMENT_CSV_COLUMNS.indexOf("currency") + 1).toBe(SEGMENT_CSV_COLUMNS.indexOf(SCORE_COLUMNS[0]!));
    // Not scored yet, no profile: every figure an empty cell, not "null" or 0.
    const known: Record<string, string> = { customer_id: "cat", enteredSegmentAt: "2024-06-29T03:00:00.000Z", currency: "GBP" };
    expect(rows.find((r) => r.customer_id === "cat")).toEqual(Object.fromEntries(SEGMENT_CSV_COLUMNS.map((c) => [c, known[c] ?? ""])));

    expect(answer!.statusCode).toBe(200);
    expect(answer!.body).toMatchObject({ status: "done", members: 3, finishedAt: "2024-06-30T00:01:00.000Z", expiresAt: "2024-06-30T01:01:00.000Z" });
    const url = new URL(String(answer!.body.url));
    expect(url.hostname).toBe("clv-exports.s3.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe(`/${done.key}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("3600");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("with mailable keeps only members that may be mailed now, and counts those left out", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter } = awsExports(store);

    // Act
    const job = await exports.request("win-back", { mailable: true });
    const done = await exporter({ exportId: job.exportId });
    const answer = await exports.answer(job.exportId);

    // Assess
    expect(done).toMatchObject({ status: "done", members: 1, notMailable: 2 });
    expect(rowsOf(putBody()).map((r) => r.customer_id)).toEqual(["ann"]);
    expect(answer!.body).toMatchObject({ mailable: true, members: 1, notMailable: 2 });
  });

  it("refuses an unknown segment before recording or starting anything", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports } = awsExports(store);

    // Act
    const attempt = exports.request("vip");

    // Assess
    await expect(attempt).rejects.toThrow(SegmentNotFoundError);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("records the reason when the file cannot be written, and answers it", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter } = awsExports(store);
    s3.on(PutObjectCommand).rejects(new Error("Access Denied"));
    const job = await exports.request("win-back");

    // Act
    const outcome = await exporter({ exportId: job.exportId });
    const answer = await exports.answer(job.exportId);

    // Assess
    expect(outcome).toMatchObject({ status: "failed", reason: "Access Denied" });
    expect(answer).toEqual({ statusCode: 200, body: expect.objectContaining({ status: "failed", reason: "Access Denied" }) });
  });

  it("records a job that could not be started as failed, and says why", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const ids: string[] = [];
    const ports = { ...awsExports(store).ports, newId: () => (ids.push("0f8fad5b-d9cb-469f-a165-70867728950e"), ids.at(-1)!) };
    sfn.on(StartExecutionCommand).rejects(new Error("Rate exceeded"));

    // Act
    const attempt = segmentExports(ports).request("win-back");

    // Assess
    await expect(attempt).rejects.toThrow("Rate exceeded");
    expect(await store.exportJobs.getExportJob(ids[0]!)).toMatchObject({ status: "failed", reason: "the export could not be started: Rate exceeded" });
  });

  it("runs a job once: a second run (a retry) leaves the finished job as it is", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter } = awsExports(store);
    const job = await exports.request("win-back");
    await exporter({ exportId: job.exportId });

    // Act
    const again = await exporter({ exportId: job.exportId });

    // Assess
    expect(again).toMatchObject({ status: "done", members: 3 });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it("answers 410 once the bucket has deleted the file, and never signs a link beyond that", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter, clock } = awsExports(store);
    const job = await exports.request("win-back");
    await exporter({ exportId: job.exportId });

    // Act
    clock.now = NOW + 7 * 86_400_000 - 600_000;
    const lastMinutes = await exports.answer(job.exportId);
    clock.now = NOW + 7 * 86_400_000;
    const gone = await exports.answer(job.exportId);

    // Assess
    expect(new URL(String(lastMinutes!.body.url)).searchParams.get("X-Amz-Expires")).toBe("600");
    expect(gone).toEqual({ statusCode: 410, body: expect.objectContaining({ error: expect.stringMatching(/deleted on 2024-07-07T00:00:00.000Z/) }) });
  });

  it("refuses an exporter event without an export id, naming the field", async () => {
    const store = await storeWithWinBack();
    const { exporter } = awsExports(store);
    await expect(exporter({ segmentId: "win-back" })).rejects.toThrow(InvalidEventError);
    await expect(exporter({ exportId: "nope" })).rejects.toThrow(/exportId/);
  });
});

describe("the export's CSV", () => {
  it("is the same locally (`clv export`) as in S3", async () => {
    const store = await storeWithWinBack();
    const { exports, exporter } = awsExports(store);
    await exporter({ exportId: (await exports.request("win-back")).exportId });
    const file = join(mkdtempSync(join(tmpdir(), "clv-export-")), "win-back.csv");
    expect(await exportSegment(store, "win-back", file, { currency: "GBP" })).toBe(3);
    expect(readFileSync(file, "utf8")).toBe(putBody());
  });

  it("gives the same rows whatever the page size the members are read in", async () => {
    const store = await storeWithWinBack();
    const text = async (pageSize?: number) => textOf((await segmentCsv(store, "win-back", pageSize === undefined ? {} : { pageSize })).chunks);
    expect(await text(1)).toBe(await text());
  });

  it("reads the members a page at a time as the text is read, never all of them first", async () => {
    // Prepare: a segment of three store pages of two members
    const pulled: number[] = [];
    const store: SegmentExportStore = {
      listSegmentDefinitions: async () => [winBack],
      activeSegmentMemberPages: async function* () {
        for (let page = 0; page < 3; page++) {
          pulled.push(page);
          yield [0, 1].map((i) => ({ contactId: `c${page * 2 + i}`, enteredAt: "2024-06-29T03:00:00.000Z" }));
        }
      },
      getContactsWithScores: async () => new Map(),
    };
    const csv = await segmentCsv(store, "win-back", { pageSize: 2 });
    const chunks = csv.chunks[Symbol.asyncIterator]();

    // Act
    await chunks.next(); // the header
    const first = await chunks.next();

    // Assess
    expect(pulled).toEqual([0]);
    expect(rowsOf(`${SEGMENT_CSV_COLUMNS.join(",")}\n${first.value}`).map((r) => r.customer_id)).toEqual(["c0", "c1"]);
  });

  it("exports an empty segment as the header alone", async () => {
    const { store } = await dynalite.newStore();
    await store.putSegmentDefinition(winBack);
    const { exports, exporter } = awsExports(store);
    expect(await exporter({ exportId: (await exports.request("win-back")).exportId })).toMatchObject({ status: "done", members: 0 });
    expect(putBody()).toBe(`${SEGMENT_CSV_COLUMNS.join(",")}\n`);
  });

  it("names the figures as the score CSV does", () => {
    expect(SCORE_COLUMNS).toEqual(SCORE_FILE_COLUMNS);
  });
});

describe("writing an export to S3", () => {
  const MiB = 1024 * 1024;
  const chunksOf = async function* (sizes: number[]) {
    for (const size of sizes) yield "x".repeat(size);
  };

  it("sends a file larger than a part as a multipart upload, holding one part at a time", async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u-1" });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"etag-${input.PartNumber}"` }));
    s3.on(CompleteMultipartUploadCommand).resolves({});

    // Act
    const result = await writeExportObject({ s3: s3Client(), bucket: "b" }, chunksOf([3 * MiB, 3 * MiB, 3 * MiB, 3 * MiB, 1 * MiB]), { key: "exports/s/1.csv", filename: "s.csv", partBytes: 5 * MiB });

    // Assess
    expect(result).toEqual({ bytes: 13 * MiB, parts: 3 });
    expect(s3.commandCalls(UploadPartCommand).map((c) => [c.args[0].input.PartNumber, (c.args[0].input.Body as Buffer).length])).toEqual([
      [1, 6 * MiB],
      [2, 6 * MiB],
      [3, 1 * MiB],
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload).toEqual({ Parts: [1, 2, 3].map((n) => ({ ETag: `"etag-${n}"`, PartNumber: n })) });
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toMatchObject({ Bucket: "b", Key: "exports/s/1.csv", ContentType: "text/csv; charset=utf-8" });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("aborts the upload when a part fails, leaving no half file", async () => {
    // Prepare
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u-2" });
    s3.on(UploadPartCommand).rejects(new Error("SlowDown"));
    s3.on(AbortMultipartUploadCommand).resolves({});

    // Act
    const attempt = writeExportObject({ s3: s3Client(), bucket: "b" }, chunksOf([6 * MiB, 1]), { key: "exports/s/2.csv", filename: "s.csv", partBytes: 5 * MiB });

    // Assess
    await expect(attempt).rejects.toThrow("SlowDown");
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: "b", Key: "exports/s/2.csv", UploadId: "u-2" }]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it("refuses parts below S3's 5 MiB and a URL lifetime beyond SigV4's 7 days", async () => {
    await expect(writeExportObject({ s3: s3Client(), bucket: "b" }, chunksOf([1]), { key: "k", filename: "f", partBytes: MiB })).rejects.toThrow(/at least 5 MiB/);
    await expect(signExportDownload({ s3: s3Client(), bucket: "b" }, "k", { now: NOW, expiresInSeconds: 8 * 86_400 })).rejects.toThrow(/1 to 604800 seconds/);
  });
});

describe("POST /segments/{id}/export and GET /exports/{id}", () => {
  const post = (id: string, query?: Record<string, string>) => ({ routeKey: "POST /segments/{id}/export", pathParameters: { id }, queryStringParameters: query, headers: {}, isBase64Encoded: false }) as never;
  const get = (id: string) => ({ routeKey: "GET /exports/{id}", pathParameters: { id }, headers: {}, isBase64Encoded: false }) as never;
  const base = { store: {} as never, clock: () => NOW, unsubscribeSecret: async () => "x".repeat(32) };

  it("answers 202 with the export id and where to ask for it, then the job's state; 404 for an unknown segment or export", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports, exporter } = awsExports(store);

    // Act
    const accepted = await postSegmentExport(post("win-back"), { ...base, exports });
    const body = JSON.parse(accepted.body!) as { exportId: string; statusUrl: string };
    const running = await getExport(get(body.exportId), { ...base, exports });
    await exporter({ exportId: body.exportId });
    const done = await getExport(get(body.exportId), { ...base, exports });

    // Assess
    expect(accepted.statusCode).toBe(202);
    expect(body).toMatchObject({ segmentId: "win-back", status: "pending", statusUrl: `/exports/${body.exportId}` });
    expect(accepted.headers).toMatchObject({ location: `/exports/${body.exportId}` });
    expect([running.statusCode, JSON.parse(running.body!).status]).toEqual([200, "running"]);
    expect([done.statusCode, JSON.parse(done.body!)]).toEqual([200, expect.objectContaining({ status: "done", members: 3, url: expect.stringContaining("X-Amz-Signature=") })]);
    expect((await postSegmentExport(post("nope"), { ...base, exports })).statusCode).toBe(404);
    expect((await getExport(get("0f8fad5b-d9cb-469f-a165-70867728950e"), { ...base, exports })).statusCode).toBe(404);
    expect((await getExport(get("../etc"), { ...base, exports })).statusCode).toBe(404);
  });

  it("refuses a bad segment id or mailable value naming the field, and answers 501 where exports are not set up", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const { exports } = awsExports(store);

    // Act
    const badId = await postSegmentExport(post("Bad Id!"), { ...base, exports });
    const badMailable = await postSegmentExport(post("win-back", { mailable: "yes" }), { ...base, exports });
    const mailable = await postSegmentExport(post("win-back", { mailable: "true" }), { ...base, exports });

    // Assess
    expect(badId.statusCode).toBe(400);
    expect([badMailable.statusCode, JSON.parse(badMailable.body!)]).toEqual([400, { error: "invalid query", fields: [{ field: "mailable", message: "must be true or false" }] }]);
    expect(JSON.parse(mailable.body!)).toMatchObject({ mailable: true });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect((await postSegmentExport(post("win-back"), base)).statusCode).toBe(501);
    expect((await getExport(get("0f8fad5b-d9cb-469f-a165-70867728950e"), base)).statusCode).toBe(501);
  });
});

describe("segment exports on the local API (npm run serve)", () => {
  let server: Server | undefined;

  it("runs the job in-process, writes the CSV under the exports folder and answers its file", async () => {
    // Prepare
    const store = await storeWithWinBack();
    const dir = mkdtempSync(join(tmpdir(), "clv-exports-"));
    const exports = localSegmentExports(store, { dir });
    server = await startLocalApi({ ...{ store, clock: Date.now, unsubscribeSecret: async () => "x".repeat(32) }, exports, apiKeyHashes: [hashApiKey("key")], throttle: false });
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = { "x-api-key": "key" };

    // Act
    const accepted = await fetch(`${api}/segments/win-back/export?mailable=true`, { method: "POST", headers });
    const { exportId } = (await accepted.json()) as { exportId: string };
    await exports.idle();
    const done = await fetch(`${api}/exports/${exportId}`, { headers });
    const missing = await fetch(`${api}/segments/vip/export`, { method: "POST", headers });
    server.close();

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("location")).toBe(`/exports/${exportId}`);
    const body = (await done.json()) as { status: string; members: number; url: string };
    expect(body).toMatchObject({ status: "done", members: 1, notMailable: 2 });
    const file = fileURLToPath(body.url);
    expect(file).toBe(join(dir, "win-back", `${exportId}.csv`));
    expect(rowsOf(readFileSync(file, "utf8")).map((r) => r.customer_id)).toEqual(["ann"]);
    expect(missing.status).toBe(404);
  });
});
