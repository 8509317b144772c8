import { readFileSync, writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { DynamoDbStore } from "../../adapters/dynamodb/dynamodb-store.js";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { segmentAnalytics } from "../../domain/segments/segment-analytics.js";
import { parseSegmentDefinition, type SegmentDefinition } from "../../domain/segments/segment-definition.js";
import { SCORE_COLUMNS } from "./score-command.js";

/** The members of a segment with their scores and e-mail, read in batches. */
async function membersWithScores(store: DynamoDbStore, segmentId: string): Promise<{ email?: string; scores?: ContactScores; contactId: string; enteredAt: string }[]> {
  const members = [...(await store.activeSegmentMembers(segmentId)).values()];
  const details = await store.getContactsWithScores(members.map((m) => m.contactId));
  return members.map((m) => {
    const { contact, scores } = details.get(m.contactId) ?? {};
    return { ...m, ...(contact?.profile?.email && { email: contact.profile.email }), ...(scores && { scores }) };
  });
}

export async function listSegments(store: DynamoDbStore): Promise<string[]> {
  const definitions = await store.listSegmentDefinitions();
  const lines = [];
  for (const d of definitions) lines.push(`${d.id.padEnd(28)} ${String((await store.activeSegmentMembers(d.id)).size).padStart(8)} members   ${d.name}`);
  return lines.length > 0 ? lines : ["no segments yet: `clv segment create FILE.json`, or run the nightly job, which stores the templates"];
}

export async function showSegment(store: DynamoDbStore, segmentId: string): Promise<string> {
  const definition = (await store.listSegmentDefinitions()).find((d) => d.id === segmentId);
  if (!definition) throw new Error(`no segment "${segmentId}"`);
  const members = await membersWithScores(store, segmentId);
  const analytics = segmentAnalytics(members.flatMap((m) => (m.scores ? [m.scores] : [])));
  return JSON.stringify({ definition, analytics }, null, 2);
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

/** CSV of the members: e-mail and every figure (churn risk as a number 0–1), as Klaviyo's export gives. */
export async function exportSegment(store: DynamoDbStore, segmentId: string, file: string): Promise<number> {
  const members = await membersWithScores(store, segmentId);
  const rows = members.map((m) => [m.contactId, m.email ?? "", m.enteredAt, ...SCORE_COLUMNS.map((c) => m.scores?.[c] ?? "")]);
  writeFileSync(file, stringify(rows, { header: true, columns: ["customer_id", "email", "enteredSegmentAt", ...SCORE_COLUMNS], cast: { number: (n) => String(n) } }));
  return rows.length;
}
