import { createWriteStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { progress } from "./progress.js";
import { segmentCsv, segmentMemberPages, SegmentNotFoundError } from "../../adapters/csv/segment-csv.js";
import type { DynamoDbStore } from "../../adapters/dynamodb/dynamodb-store.js";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { segmentAnalytics } from "../../domain/segments/segment-analytics.js";
import { parseSegmentDefinition, type SegmentDefinition } from "../../domain/segments/segment-definition.js";

export async function listSegments(store: DynamoDbStore): Promise<string[]> {
  const definitions = await store.listSegmentDefinitions();
  const lines = [];
  for (const d of definitions) lines.push(`${d.id.padEnd(28)} ${String((await store.activeSegmentMembers(d.id)).size).padStart(8)} members   ${d.name}`);
  return lines.length > 0 ? lines : ["no segments yet: `clv segment create FILE.json`, or run the nightly job, which stores the templates"];
}

export async function showSegment(store: DynamoDbStore, segmentId: string): Promise<string> {
  const definition = (await store.listSegmentDefinitions()).find((d) => d.id === segmentId);
  if (!definition) throw new SegmentNotFoundError(segmentId);
  const members = [...(await store.activeSegmentMembers(segmentId)).values()];
  const scores: ContactScores[] = [];
  for await (const page of segmentMemberPages(store, members)) for (const m of page) if (m.scores) scores.push(m.scores);
  return JSON.stringify({ definition, analytics: segmentAnalytics(scores) }, null, 2);
}

export async function createSegment(store: DynamoDbStore, file: string): Promise<SegmentDefinition> {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const definition = parseSegmentDefinition(input);
  await store.putSegmentDefinition(definition);
  return definition;
}

/**
 * `clv export ID FILE.csv [--mailable]`: the segment's export (the same CSV the AWS export puts in S3),
 * streamed to a file a page of members at a time. Returns the number of members written.
 */
export async function exportSegment(store: DynamoDbStore, segmentId: string, file: string, options: { mailable?: boolean; currency?: string } = {}): Promise<number> {
  const csv = await segmentCsv(store, segmentId, options);
  // The members are read page by page as the file is written, so their number is known only at the end.
  const bar = progress(`exporting ${segmentId}`, "members");
  let rows = -1; // the header
  async function* counted(): AsyncIterable<string> {
    for await (const chunk of csv.chunks) {
      yield chunk;
      for (let at = chunk.indexOf("\n"); at >= 0; at = chunk.indexOf("\n", at + 1)) rows++;
      bar.update(Math.max(0, rows));
    }
  }
  try {
    await pipeline(Readable.from(counted()), createWriteStream(file));
  } finally {
    bar.stop();
  }
  return csv.members;
}
