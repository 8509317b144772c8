/**
 * `npm run bench -- export`: a segment export of 1,000,000 members (issue #14) through the exporter's
 * own code: the members read a Query page at a time, their profiles and figures 1,000 at a time, the
 * CSV written in 8 MiB parts of a multipart upload. The store and S3 are simulated in memory (the
 * members made as they are read, the parts counted and dropped), so the figures are this code's own
 * time and memory, with the requests it would send counted. EXPORT_MEMBERS for another size.
 */
import { getHeapStatistics } from "node:v8";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from "@aws-sdk/client-s3";
import { segmentCsv, type SegmentExportStore } from "../../functions/adapters/csv/segment-csv.js";
import { EXPORT_PART_BYTES, writeExportObject } from "../../functions/adapters/s3/segment-export.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { seededRandom } from "../support/simulate.js";

/** Membership items in one 1 MB Query page: about 100 bytes each with the projection's two attributes. */
const QUERY_PAGE = 8_000;
const mb = (bytes: number) => `${Math.round(bytes / 1_048_576).toLocaleString("en")} MB`;
const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(56)} ${value.padStart(14)}  ${note}`);

const quintile = (random: () => number) => (1 + Math.floor(random() * 5)) as ContactScores["rfmRecency"];

function figures(contactId: string, random: () => number): ContactScores {
  const orders = 1 + Math.floor(random() * 8);
  const historicClv = Math.round(random() * 80_000) / 100;
  const churnRisk = Math.round(random() * 10_000) / 10_000;
  return {
    contactId,
    orderCount: orders,
    firstOrderAt: "2023-01-10T10:00:00.000Z",
    lastOrderAt: "2024-03-01T10:00:00.000Z",
    historicClv,
    averageOrderValue: Math.round((historicClv / orders) * 100) / 100,
    averageDaysBetweenOrders: orders > 1 ? Math.round((416 / (orders - 1)) * 10) / 10 : null,
    predictedOrders12m: Math.round(random() * 30_000) / 10_000,
    predictedClv12m: Math.round(random() * 30_000) / 100,
    totalClv: Math.round(random() * 110_000) / 100,
    pAlive: Math.round((1 - churnRisk) * 10_000) / 10_000,
    churnRisk,
    churnBand: churnRisk < 0.33 ? "low" : churnRisk <= 0.66 ? "medium" : "high",
    expectedNextOrderAt: "2024-07-20",
    rfmRecency: quintile(random),
    rfmFrequency: quintile(random),
    rfmMonetary: quintile(random),
    rfmGroup: "Can't lose them",
  };
}

export async function benchExport(): Promise<void> {
  const members = Number(process.env.EXPORT_MEMBERS ?? 1_000_000);
  const random = seededRandom(14);
  const requests = { query: 0, batchGet: 0, s3: 0 };
  const store: SegmentExportStore = {
    listSegmentDefinitions: async () => [...segmentTemplates],
    activeSegmentMemberPages: async function* () {
      for (let start = 0; start < members; start += QUERY_PAGE) {
        requests.query++;
        const page = [];
        for (let i = start; i < Math.min(members, start + QUERY_PAGE); i++) page.push({ contactId: `c-${String(i).padStart(8, "0")}`, enteredAt: "2024-06-29T03:00:00.000Z" });
        yield page;
      }
    },
    // What BatchGetItem answers: the profile and the scores item of each member, 100 keys a request.
    getContactsWithScores: async (ids) => {
      requests.batchGet += Math.ceil((ids.length * 2) / 100);
      return new Map(
        ids.map((id, i) => [
          id,
          { contact: { profile: { email: `${id}@example.com`, subscription: i % 5 === 0 ? "unsubscribed" : "subscribed", consentAt: "2023-01-01T00:00:00.000Z" } }, scores: figures(id, random) },
        ]),
      );
    },
  };
  let bytes = 0;
  let parts = 0;
  const s3 = {
    send: async (command: unknown) => {
      requests.s3++;
      if (command instanceof UploadPartCommand) {
        parts++;
        bytes += (command.input.Body as Buffer).length;
        return { ETag: `"${parts}"` };
      }
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: "bench" };
      if (command instanceof PutObjectCommand) bytes += (command.input.Body as Buffer).length;
      if (command instanceof CompleteMultipartUploadCommand) return {};
      return {};
    },
  } as unknown as S3Client;

  console.log(`\nExporting a segment of ${members.toLocaleString("en")} members (store and S3 simulated in memory), ${mb(EXPORT_PART_BYTES)} parts`);
  let peakHeap = getHeapStatistics().used_heap_size;
  let peakRss = process.memoryUsage().rss;
  const baseHeap = peakHeap;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  const csv = await segmentCsv(store, "win-back");
  await writeExportObject({ s3, bucket: "bench" }, csv.chunks, { key: "exports/win-back/bench.csv", filename: "win-back.csv" });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  line("rows written", csv.members.toLocaleString("en"), `${mb(bytes)} of CSV, ${Math.round(bytes / Math.max(1, csv.members))} bytes a row`);
  line("time (this code's own: reading pages, CSV, parts)", `${seconds.toFixed(1)} s`, `${Math.round(csv.members / seconds).toLocaleString("en")} members/s`);
  line("parts uploaded", parts.toLocaleString("en"), `S3 requests ${requests.s3} (Lambda: 15 min, 10,000 parts at most)`);
  line("DynamoDB requests", (requests.query + requests.batchGet).toLocaleString("en"), `Query ${requests.query}, BatchGetItem ${requests.batchGet.toLocaleString("en")} (20 in flight a page of 1,000)`);
  // About 10 ms a round trip: a Query page, then one round of 20 BatchGetItems in parallel per 1,000 members.
  const roundTrips = requests.query + Math.ceil(members / 1_000);
  line("+ DynamoDB round trips at ~10 ms each", `${((roundTrips * 10) / 1000).toFixed(1)} s`, `${roundTrips.toLocaleString("en")} round trips`);
  line("peak JS heap / peak RSS", `${mb(peakHeap)} / ${mb(peakRss)}`, `(at the start: ${mb(baseHeap)} heap; the exporter has 1,769 MB)`);
}
