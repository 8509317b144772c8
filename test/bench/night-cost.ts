/**
 * `npm run bench -- cost`: what a night costs on AWS at 1 and 10 million contacts (issue #14), from
 * what the night's own code decides and writes. A simulated store (BG/NBD with CDNOW's parameters in
 * days, Gamma-Gamma spend: bench/plan.ts) lives through COST_NIGHTS nights, its orders arriving as they
 * fall; each night the plan is refitted and every contact rescored by rescoreContacts, and only what
 * it hands back is "written" (score-writes.ts decides). The items are written through DynamoDbStore
 * into a client that keeps them, so their sizes are the ones the code writes. The bill then scales
 * the steady nights' per-contact counts. COST_CONTACTS and COST_NIGHTS for other sizes.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { MS_PER_DAY, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { planNightlyRun, rescoreContacts, writeRescored, type ContactState } from "../../functions/domain/nightly/nightly-scoring.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import type { ContactProfile } from "../../functions/domain/store/contact.js";
import { itemBytes } from "../support/item-bytes.js";
import { seededRandom } from "../support/simulate.js";
import { simulatedContact } from "./plan.js";

/** us-east-1 list prices (on demand), as the README's bill. */
const PRICE = { writeUnit: 0.625 / 1e6, readUnit: 0.125 / 1e6, gbSecond: 0.0000133, transition: 0.025 / 1000 };
/** simulatedContact's histories end on this day. */
const LAST_DAY = 20_000;
/**
 * The items the night does not write, as measured in dynalite by `npm run bench -- nightly` (README):
 * PROFILE ~160 B + ~40 B per counted order, ORDER# ~165 B, EVENT# ~145 B; a contact with 4 orders
 * and 4 e-mail events, as the README's bill assumes.
 */
const OTHER_ITEMS_PER_CONTACT = { profile: 160 + 4 * 40, orders: 4 * 165, events: 4 * 145 };
/** The night's Lambda time per contact: at most ~2.4 ms at 1,769 MB (README, the local night with dynalite's share). */
const LAMBDA_MS_PER_CONTACT = 2.4;
const LAMBDA_GB = 1769 / 1024;

const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(60)} ${value.padStart(16)}  ${note}`);
const share = (n: number) => `${(100 * n).toFixed(1)} %`;
const dollars = (n: number) => `$${n.toFixed(2)}`;

/** The history as the store knows it on the night of `asOf`: the orders placed before it. */
function historyBefore(h: ContactHistory, asOf: number): ContactHistory | undefined {
  const kept = h.purchaseDays.filter((day) => day * MS_PER_DAY + 36_000_000 <= asOf).length;
  if (kept === 0) return undefined;
  if (kept === h.purchaseDays.length) return h;
  const dayRevenue = h.dayRevenue.slice(0, kept);
  return {
    ...h,
    orderCount: kept,
    revenue: Math.round(dayRevenue.reduce((a, b) => a + b, 0) * 100) / 100,
    purchaseDays: h.purchaseDays.slice(0, kept),
    dayRevenue,
    lastOrderAt: h.purchaseDays[kept - 1]! * MS_PER_DAY + 36_000_000,
  };
}

/** A DynamoDB client that keeps what BatchWriteItem is sent: the items as the code writes them. */
function keepingClient(): { client: DynamoDBDocumentClient; written: Record<string, unknown>[] } {
  const written: Record<string, unknown>[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof BatchWriteCommand) for (const requests of Object.values(command.input.RequestItems ?? {})) for (const r of requests) if (r.PutRequest?.Item) written.push(r.PutRequest.Item);
      return { UnprocessedItems: {} };
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, written };
}

/** Four in five contacts subscribed, as the segments that mail ask. */
const profileOf = (contactId: string): ContactProfile => ({
  contactId,
  updatedAt: "2024-01-01T00:00:00.000Z",
  email: `${contactId}@example.com`,
  ...(Number(contactId.slice(1)) % 5 === 0 ? { subscription: "never_subscribed" as const } : { subscription: "subscribed" as const, consentAt: "2023-01-01T00:00:00.000Z" }),
});

const kindOf = (item: Record<string, unknown>) => (String(item.PK).startsWith("SEGMENT#") ? "SEGMENT#<id>/CONTACT#<id>" : String(item.SK));

export async function benchNightCost(): Promise<void> {
  const contacts = Number(process.env.COST_CONTACTS ?? 20_000);
  const nights = Number(process.env.COST_NIGHTS ?? 28);
  const random = seededRandom(21);
  const simulated = Array.from({ length: contacts }, (_, i) => simulatedContact(random, i));
  console.log(`\nA night's bill: ${contacts.toLocaleString("en")} simulated contacts through ${nights} nights, orders arriving as they fall, the plan refitted each night`);

  const stored = new Map<string, { scores?: ContactScores; scoredAt?: string; memberships: Record<string, string> }>();
  const definitions = [...segmentTemplates];
  const steadyFrom = Math.min(nights - 1, 14);
  const steady = { contacts: 0, scores: 0, items: new Map<string, { count: number; bytes: number; writeUnits: number }>(), ms: 0 };
  for (let night = 0; night < nights; night++) {
    const asOf = (LAST_DAY - nights + night + 1) * MS_PER_DAY + 3 * 3_600_000;
    const histories = simulated.flatMap((h) => historyBefore(h, asOf) ?? []);
    const plan = planNightlyRun(histories, asOf, 1);
    const states: ContactState[] = histories.map((history) => ({ contactId: history.contactId, profile: profileOf(history.contactId), history, emailEvents: [], memberships: {}, ...stored.get(history.contactId) }));
    const started = performance.now();
    const rescored = rescoreContacts(states, plan, definitions, asOf);
    const ms = performance.now() - started;
    const { client, written } = keepingClient();
    await writeRescored(new DynamoDbStore(client, "store", () => asOf), rescored);
    for (const item of written) {
      if (item.SK === "SCORES") {
        const { PK: _pk, SK: _sk, scoredAt, ...scores } = item;
        stored.set(String(scores.contactId), { ...stored.get(String(scores.contactId)), memberships: stored.get(String(scores.contactId))?.memberships ?? {}, scores: scores as unknown as ContactScores, scoredAt: String(scoredAt) });
      }
    }
    for (const m of rescored.memberships) stored.set(m.contactId, { ...stored.get(m.contactId), memberships: m.memberships });
    const scoresShare = rescored.scores.length / histories.length;
    if (night === 0 || night >= steadyFrom || night % 7 === 0) line(`night ${night + 1}: ${histories.length.toLocaleString("en")} contacts, scores written`, share(scoresShare), `model ${plan.run.purchaseModel?.model ?? "none"}`);
    if (night < steadyFrom) continue;
    steady.contacts += histories.length;
    steady.scores += rescored.scores.length;
    steady.ms += ms;
    for (const item of written) {
      const kind = kindOf(item);
      const entry = steady.items.get(kind) ?? { count: 0, bytes: 0, writeUnits: 0 };
      const bytes = itemBytes(item) - 3;
      entry.count++;
      entry.bytes += bytes;
      entry.writeUnits += Math.ceil(bytes / 1024);
      steady.items.set(kind, entry);
    }
  }

  console.log(`\n  Nights ${steadyFrom + 1}–${nights} (steady), per contact and night:`);
  let writeUnitsPerContact = 0;
  for (const [kind, { count, bytes, writeUnits }] of steady.items) {
    line(`  ${kind} items written`, share(count / steady.contacts), `avg ${Math.round(bytes / count)} B, ${(writeUnits / count).toFixed(2)} write unit each`);
    writeUnitsPerContact += writeUnits / steady.contacts;
  }
  line("  rescoring time, this machine", `${((1000 * steady.ms) / steady.contacts).toFixed(1)} µs/contact`);

  const scoresBytes = (steady.items.get("SCORES")?.bytes ?? 0) / Math.max(1, steady.items.get("SCORES")?.count ?? 1);
  const membershipsBytes = (steady.items.get("MEMBERSHIPS")?.bytes ?? 105) / Math.max(1, steady.items.get("MEMBERSHIPS")?.count ?? 1);
  const scannedPerContact = OTHER_ITEMS_PER_CONTACT.profile + OTHER_ITEMS_PER_CONTACT.orders + OTHER_ITEMS_PER_CONTACT.events + scoresBytes + membershipsBytes;
  console.log(`\n  The bill (a contact's items: ${Math.round(scannedPerContact)} B, read by each of the night's two scans at 0.5 read unit per 4 KB):`);
  for (const size of [1_000_000, 10_000_000]) {
    const scans = ((2 * size * scannedPerContact) / 4096) * 0.5 * PRICE.readUnit;
    const writes = size * writeUnitsPerContact * PRICE.writeUnit;
    const lambda = ((size * LAMBDA_MS_PER_CONTACT) / 1000) * LAMBDA_GB * PRICE.gbSecond;
    const stepFunctions = 100 * PRICE.transition;
    line(`${size.toLocaleString("en")} contacts: scans`, dollars(scans));
    line("  writes (scores, memberships, segment members)", dollars(writes), `${Math.round(size * writeUnitsPerContact).toLocaleString("en")} write units`);
    line("  Lambda (≤ 2.4 ms a contact at 1,769 MB) and Step Functions", dollars(lambda + stepFunctions));
    line("  a night", dollars(scans + writes + lambda + stepFunctions), size === 10_000_000 ? "target ≤ $5" : "");
  }
}
