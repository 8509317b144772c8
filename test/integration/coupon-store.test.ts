import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { captureMetrics, type EmfRecord } from "../../functions/adapters/logging/metrics.js";
import type { EnrolmentStore } from "../../functions/domain/workflows/workflow-steps.js";
import { assignCouponTask } from "../../functions/handlers/workflow-assign-coupon.js";
import { storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import type { CouponOutcome } from "../../functions/domain/coupons/coupon-assignment.js";
import { CouponImportBusyError, NoSuchCouponSetError } from "../../functions/domain/coupons/coupon-sets.js";
import { importCouponFile } from "../../functions/local/cli/coupon-commands.js";
import { registerCouponCommands } from "../../bin/commands/coupons.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { useDynalite } from "../support/dynalite.js";
import { concurrently, stressSize } from "../support/stress.js";

const dynalite = useDynalite("coupons");

const NOW = Date.parse("2024-06-01T12:00:00Z");
const EXPIRES = "2024-07-01T00:00:00.000Z";
const MINUTE = 60_000;

async function newCouponStore(options: { clock?: () => number; client?: (real: DynamoDBDocumentClient) => DynamoDBDocumentClient } = {}) {
  const { tableName } = await dynalite.newStore();
  const client = dynalite.client();
  const make = (wrap = options.client, clock = options.clock ?? (() => NOW)) => new CouponStore(wrap ? wrap(client) : client, tableName, clock, { sleep: async () => {} });
  return { store: make(), tableName, client, make };
}

/** The client, with `before` run ahead of each command it sends (to stage a race or a crash at an exact step). */
function intercepted(real: DynamoDBDocumentClient, before: (command: { input: Record<string, unknown> } & object) => Promise<void>): DynamoDBDocumentClient {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: { input: Record<string, unknown> }) => {
        await before(command);
        return target.send(command as never);
      };
    },
  });
}

const codes = (prefix: string, n: number, from = 1) => Array.from({ length: n }, (_, i) => `${prefix}-${String(from + i).padStart(7, "0")}`);

/** Every item of the set's partition, raw, by kind of sort key. */
async function partition(client: DynamoDBDocumentClient, tableName: string, setId: string) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": `COUPONSET#${setId}` }, ...(startKey && { ExclusiveStartKey: startKey }) }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const of = (prefix: string) => items.filter((i) => String(i.SK).startsWith(prefix));
  const meta = items.find((i) => i.SK === "META")!;
  const slots = new Map(of("SLOT#").map((i) => [Number(String(i.SK).slice(5)), String(i.code)]));
  /** The codes still to be handed out: published numbers not yet claimed, and the returned ones. */
  const remaining: string[] = [];
  for (let n = Number(meta.claimCount) + 1; n <= Number(meta.codeCount); n++) remaining.push(slots.get(n)!);
  remaining.push(...((meta.returned as Set<string> | undefined) ?? []));
  return { meta, assigned: of("ASSIGNED#"), codeItems: of("CODE#"), remaining };
}

/** Contacts asking at once in the race test: 8,000 (10,000 requests) under `npm run test:stress`. */
const CONTACTS = stressSize(8_000, 400);
const REQUESTS = CONTACTS + CONTACTS / 8 + (2 * CONTACTS) / 16;

/** A deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("coupon sets", () => {
  it("creates a set, changes it without touching its codes, and lists it with its stock", async () => {
    const { store } = await newCouponStore();
    expect(await store.createCouponSet({ id: "win-back", name: "Win-back", expiresAt: EXPIRES, lowStockThreshold: 2 })).toBe("created");
    await store.importCodes("win-back", ["A", "B", "C"]);
    // Name and threshold left out keep theirs; the expiry moves.
    expect(await store.createCouponSet({ id: "win-back", expiresAt: "2024-08-01T00:00:00Z" })).toBe("updated");
    expect(await store.createCouponSet({ id: "welcome", expiresAt: EXPIRES })).toBe("created");
    expect(await store.listCouponSets()).toEqual([
      { setId: "welcome", name: "welcome", expiresAt: EXPIRES, expired: false, codes: 0, assigned: 0, stock: 0, lowStockThreshold: 0, low: true },
      { setId: "win-back", name: "Win-back", expiresAt: "2024-08-01T00:00:00.000Z", expired: false, codes: 3, assigned: 0, stock: 3, lowStockThreshold: 2, low: false },
    ]);
    expect(await store.couponStock("nothing")).toBeUndefined();
  });

  it("imports each code once: repeats in a call and a re-imported file are duplicates", async () => {
    const { store } = await newCouponStore();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    expect(await store.importCodes("s", ["A", "B", "A", "C"])).toEqual({ imported: 3, duplicates: 1 });
    expect(await store.importCodes("s", ["C", "B", "A", "D"])).toEqual({ imported: 1, duplicates: 3 });
    expect((await store.couponStock("s"))!.stock).toBe(4);
    // Codes already handed out are duplicates too, and the stock is what is left.
    await store.assignCoupon("s", "ann", NOW);
    expect(await store.importCodes("s", ["A", "B", "C", "D"])).toEqual({ imported: 0, duplicates: 4 });
    expect((await store.couponStock("s"))!).toMatchObject({ codes: 4, assigned: 1, stock: 3 });
    await expect(store.importCodes("nothing", ["A"])).rejects.toBeInstanceOf(NoSuchCouponSetError);
  });

  it("imports in steps across a set of many codes, each code under its own number", async () => {
    const { store, client, tableName } = await newCouponStore();
    const s = new CouponStore(client, tableName, () => NOW, { importStep: 700 });
    await s.createCouponSet({ id: "big", expiresAt: EXPIRES });
    const all = codes("B", 5_000);
    expect(await s.importCodes("big", all.slice(0, 3_000))).toEqual({ imported: 3_000, duplicates: 0 });
    expect(await s.importCodes("big", all)).toEqual({ imported: 2_000, duplicates: 3_000 });
    const { meta, remaining } = await partition(client, tableName, "big");
    expect(meta.codeCount).toBe(5_000);
    expect(remaining.sort()).toEqual(all);
    expect((await store.couponStock("big"))!.stock).toBe(5_000);
  });
});

describe("assigning a code", () => {
  it("gives a contact the same code every time and other contacts other codes, until the stock runs out", async () => {
    const { store } = await newCouponStore();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES, lowStockThreshold: 1 });
    await store.importCodes("s", ["A", "B"]);
    const ann = await store.assignCoupon("s", "ann", NOW);
    expect(ann).toEqual({ status: "assigned", code: "A", expiresAt: EXPIRES, alreadyAssigned: false });
    expect(await store.assignCoupon("s", "ann", NOW + MINUTE)).toEqual({ ...ann, alreadyAssigned: true });
    expect(await store.couponStock("s")).toMatchObject({ stock: 1, assigned: 1, low: true });
    expect(await store.assignCoupon("s", "ben", NOW)).toMatchObject({ status: "assigned", code: "B", alreadyAssigned: false });
    expect(await store.assignCoupon("s", "cara", NOW)).toEqual({ status: "out-of-stock" });
    expect(await store.assignCoupon("s", "ann", NOW)).toMatchObject({ code: "A", alreadyAssigned: true });
    // Out of stock does not move the counter past the pool: codes imported later are all handed out.
    await store.importCodes("s", ["C"]);
    expect(await store.assignCoupon("s", "cara", NOW)).toMatchObject({ status: "assigned", code: "C" });
  });

  it("knows the stock each claim left, so the workflow's coupons-left metric needs no second read of the set", async () => {
    // Prepare
    const reads: string[] = [];
    const { store } = await newCouponStore({
      client: (real) =>
        intercepted(real, async (command) => {
          if (command instanceof GetCommand) reads.push(String((command.input.Key as { SK: string }).SK));
        }),
    });
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES, lowStockThreshold: 1 });
    await store.importCodes("s", ["A", "B", "C"]);
    const metrics: EmfRecord[] = [];
    captureMetrics((record) => metrics.push(record));
    const task = assignCouponTask({ coupons: store, enrolments: { updateEnrolment: async () => {} } as unknown as EnrolmentStore, clock: () => NOW });

    // Act
    const ann = await store.assignCoupon("s", "annie", NOW);
    const annAgain = await store.assignCoupon("s", "annie", NOW);
    reads.length = 0;
    await task({ workflowId: "w", couponSetId: "s", contactId: "ben" });
    await task({ workflowId: "w", couponSetId: "s", contactId: "cara" });
    const readsByTheTasks = [...reads];
    const outOfStock = await store.assignCoupon("s", "dan", NOW);
    captureMetrics(undefined);

    // Assess
    expect(store.stockAfter(ann)).toMatchObject({ setId: "s", codes: 3, assigned: 1, stock: 2, low: false });
    expect(store.stockAfter(annAgain)).toBeUndefined();
    expect(store.stockAfter(outOfStock)).toMatchObject({ stock: 0, assigned: 3, low: true });
    expect(await store.couponStock("s")).toEqual(store.stockAfter(outOfStock));
    // The claims read their SLOTs; nothing read META for the metric.
    expect(readsByTheTasks).toEqual(["SLOT#0000000002", "SLOT#0000000003"]);
    expect(metrics.filter((m) => "CouponsLeft" in m).map((m) => m.CouponsLeft)).toEqual([1, 0]);
    expect(metrics.filter((m) => "CouponStockLow" in m)).toHaveLength(2);
  });

  it("answers expired from the expiry on, and no-such-set for a set that does not exist", async () => {
    const { store } = await newCouponStore();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await store.importCodes("s", ["A", "B"]);
    expect(await store.assignCoupon("s", "ann", NOW)).toMatchObject({ status: "assigned" });
    expect(await store.assignCoupon("s", "ben", Date.parse(EXPIRES))).toEqual({ status: "expired" });
    expect(await store.assignCoupon("s", "ann", Date.parse(EXPIRES))).toEqual({ status: "expired" });
    expect(await store.assignCoupon("other", "ann", NOW)).toEqual({ status: "no-such-set" });
    expect((await store.couponStock("s"))!.stock).toBe(1);
  });

  it(`${REQUESTS.toLocaleString("en")} requests from 50 workers at once, contacts repeated: no code twice, no contact with two, stock exact`, async () => {
    let racesLost = 0;
    const { store, client, tableName } = await newCouponStore({
      client: (real) =>
        new Proxy(real, {
          get(target, property, receiver) {
            if (property !== "send") return Reflect.get(target, property, receiver);
            return async (command: object) => {
              try {
                return await target.send(command as never);
              } catch (error) {
                if (command instanceof PutCommand && (error as Error).name === "ConditionalCheckFailedException") racesLost++;
                throw error;
              }
            };
          },
        }),
    });
    const pool = codes("WB", CONTACTS + CONTACTS / 8);
    await store.createCouponSet({ id: "win-back", expiresAt: EXPIRES, lowStockThreshold: CONTACTS / 8 });
    expect(await store.importCodes("win-back", pool)).toEqual({ imported: pool.length, duplicates: 0 });
    // One in eight contacts asks twice and one in sixteen three times, their requests side by side in
    // the queue so that the same contact's requests run at the same moment on different workers.
    const contacts = Array.from({ length: CONTACTS }, (_, i) => `c-${i}`);
    const groups = contacts.map((c, i) => (i < CONTACTS / 8 ? [c, c] : i < (CONTACTS * 3) / 16 ? [c, c, c] : [c]));
    const requests = shuffled(groups, 7).flat();
    expect(requests).toHaveLength(REQUESTS);

    const outcomes = await concurrently(requests, 50, (contactId) => store.assignCoupon("win-back", contactId, NOW));
    // The same contact's requests did meet: callers lost the race for the assignment and gave codes back.
    expect(racesLost).toBeGreaterThan(0);

    const byContact = new Map<string, Extract<CouponOutcome, { status: "assigned" }>[]>();
    outcomes.forEach((outcome, i) => {
      expect(outcome.status).toBe("assigned");
      if (outcome.status !== "assigned") return;
      const list = byContact.get(requests[i]!) ?? [];
      list.push(outcome);
      byContact.set(requests[i]!, list);
    });
    expect(byContact.size).toBe(CONTACTS);
    for (const [contactId, list] of byContact) {
      expect(new Set(list.map((o) => o.code)).size, contactId).toBe(1);
      expect(list.filter((o) => !o.alreadyAssigned), contactId).toHaveLength(1);
    }
    const given = [...byContact.values()].map((list) => list[0]!.code);
    expect(new Set(given).size).toBe(CONTACTS);
    const imported = new Set(pool);
    expect(given.every((code) => imported.has(code))).toBe(true);
    expect(await store.couponStock("win-back")).toMatchObject({ codes: pool.length, assigned: CONTACTS, stock: CONTACTS / 8, low: true });

    // The table agrees: one assignment per contact, each code marked with its one contact and no
    // other code marked, and what remains is exactly the codes nobody got.
    const { assigned, codeItems, remaining } = await partition(client, tableName, "win-back");
    expect(assigned).toHaveLength(CONTACTS);
    for (const item of assigned) expect(item.code).toBe(byContact.get(String(item.contactId))![0]!.code);
    const marked = codeItems.filter((item) => item.contactId !== undefined);
    expect(marked).toHaveLength(CONTACTS);
    for (const item of marked) expect(byContact.get(String(item.contactId))![0]!.code).toBe(item.code);
    expect(remaining).toHaveLength(CONTACTS / 8);
    expect([...remaining, ...given].sort()).toEqual(pool);
    // At full strength some 60,000 requests to one dynalite thread: minutes on a busy machine.
  }, 1_800_000); // a guard against a hung run: at full strength (test:stress) 10,000 requests take minutes on 2 cores

  it("with more contacts than codes, hands out every code once and tells the rest it is out of stock", async () => {
    const { store } = await newCouponStore();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await store.importCodes("s", codes("S", 300));
    const contacts = Array.from({ length: 500 }, (_, i) => `c-${i}`);
    const first = await concurrently(contacts, 50, (c) => store.assignCoupon("s", c, NOW));
    const got = first.flatMap((o) => (o.status === "assigned" ? [o.code] : []));
    expect(got).toHaveLength(300);
    expect(new Set(got).size).toBe(300);
    expect(first.filter((o) => o.status === "out-of-stock")).toHaveLength(200);
    expect((await store.couponStock("s"))!.stock).toBe(0);
    // New codes: those who were told "out of stock" get them; the others keep theirs.
    await store.importCodes("s", codes("T", 200));
    const second = await concurrently(contacts, 50, (c) => store.assignCoupon("s", c, NOW));
    const all = second.map((o) => (o.status === "assigned" ? o.code : o.status));
    expect(new Set(all).size).toBe(500);
    second.forEach((o, i) => {
      if (first[i]!.status === "assigned") expect(o).toEqual({ ...first[i], alreadyAssigned: true });
      else expect(o).toMatchObject({ status: "assigned", alreadyAssigned: false, code: expect.stringMatching(/^T-/) });
    });
  });

  it("a caller that loses the race for its contact gives its code back, unmarked, and the next contact gets it", async () => {
    let raced = false;
    const { store: plain, client, tableName, make } = await newCouponStore();
    await plain.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await plain.importCodes("s", ["A", "B", "C"]);
    let winner: CouponOutcome | undefined;
    // Just before this caller writes ann's assignment, another caller assigns ann completely.
    const racing = make((real) =>
      intercepted(real, async (command) => {
        if (command instanceof PutCommand && command.input.Item?.SK === "ASSIGNED#ann" && !raced) {
          raced = true;
          winner = await plain.assignCoupon("s", "ann", NOW);
        }
      }),
    );
    const loser = await racing.assignCoupon("s", "ann", NOW);
    expect(raced).toBe(true);
    expect(winner).toEqual({ status: "assigned", code: "B", expiresAt: EXPIRES, alreadyAssigned: false });
    expect(loser).toEqual({ status: "assigned", code: "B", expiresAt: EXPIRES, alreadyAssigned: true });
    expect(await plain.couponStock("s")).toMatchObject({ stock: 2, assigned: 1 });
    const { codeItems, remaining } = await partition(client, tableName, "s");
    expect(codeItems.find((i) => i.code === "A")!.contactId).toBeUndefined();
    expect(remaining.sort()).toEqual(["A", "C"]);
    // Returned codes go first.
    expect(await plain.assignCoupon("s", "ben", NOW)).toMatchObject({ code: "A", alreadyAssigned: false });
    expect(await plain.assignCoupon("s", "cara", NOW)).toMatchObject({ code: "C" });
    expect(await plain.assignCoupon("s", "dan", NOW)).toEqual({ status: "out-of-stock" });
  });

  it("never gives a code to a second contact, even from a pool that holds it twice", async () => {
    const { store, client, tableName } = await newCouponStore();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await store.importCodes("s", ["A", "B", "C"]);
    // Damage the pool: number 2 now names A as well.
    await client.send(new PutCommand({ TableName: tableName, Item: { PK: "COUPONSET#s", SK: "SLOT#0000000002", code: "A" } }));
    expect(await store.assignCoupon("s", "ann", NOW)).toMatchObject({ code: "A" });
    expect(await store.assignCoupon("s", "ben", NOW)).toMatchObject({ code: "C" });
    expect(await store.assignCoupon("s", "cara", NOW)).toEqual({ status: "out-of-stock" });
    const { assigned } = await partition(client, tableName, "s");
    expect(assigned.map((i) => [i.contactId, i.code])).toEqual([
      ["ann", "A"],
      ["ben", "C"],
    ]);
  });
});

describe("an import that dies halfway", () => {
  it("holds the set until its lease runs out; importing again then pools every code exactly once", async () => {
    let now = NOW;
    const { client, tableName, make } = await newCouponStore({ clock: () => now });
    let publishes = 0;
    let dead = false;
    // Dies at its second publish (the first step of two codes is in the pool, the second written but not published).
    const dying = new CouponStore(
      intercepted(client, async (command) => {
        if (command instanceof UpdateCommand && String(command.input.UpdateExpression).startsWith("SET codeCount") && ++publishes === 2) dead = true;
        if (dead) throw new Error("the process died");
      }),
      tableName,
      () => now,
      { importStep: 2 },
    );
    const store = make(undefined, () => now);
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await expect(dying.importCodes("s", ["a", "b", "c", "d", "e"])).rejects.toThrow("the process died");
    expect((await store.couponStock("s"))!.stock).toBe(2);

    await expect(store.importCodes("s", ["x"])).rejects.toBeInstanceOf(CouponImportBusyError);
    now += 11 * MINUTE;
    // Another file first: its codes take the numbers the dead import had written c and d under.
    expect(await store.importCodes("s", ["x", "y"])).toEqual({ imported: 2, duplicates: 0 });
    expect(await store.importCodes("s", ["a", "b", "c", "d", "e"])).toEqual({ imported: 3, duplicates: 2 });
    expect((await store.couponStock("s"))!.stock).toBe(7);
    const got = [];
    for (let i = 0; i < 7; i++) {
      const outcome = await store.assignCoupon("s", `c-${i}`, now);
      if (outcome.status === "assigned") got.push(outcome.code);
    }
    expect(got.sort()).toEqual(["a", "b", "c", "d", "e", "x", "y"]);
    expect(await store.assignCoupon("s", "c-7", now)).toEqual({ status: "out-of-stock" });
  });

  it("lets go of the set when it fails, so the next import need not wait", async () => {
    const { client, tableName, make } = await newCouponStore();
    const failing = new CouponStore(
      intercepted(client, async (command) => {
        if (command instanceof UpdateCommand && String(command.input.UpdateExpression).startsWith("SET codeCount")) throw new Error("throttled");
      }),
      tableName,
      () => NOW,
    );
    const store = make();
    await store.createCouponSet({ id: "s", expiresAt: EXPIRES });
    await expect(failing.importCodes("s", ["a"])).rejects.toThrow("throttled");
    expect(await store.importCodes("s", ["a", "b"])).toEqual({ imported: 2, duplicates: 0 });
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { PK: "COUPONSET#s", SK: "META" } }));
    expect(Item!.importToken).toBeUndefined();
  });
});

describe("clv coupons", () => {
  const dir = mkdtempSync(join(tmpdir(), "clv-coupons-"));
  const fixture = new URL("../fixtures/coupons/codes-with-errors.csv", import.meta.url).pathname;
  let local: LocalStore;
  beforeAll(async () => {
    local = await openLocalStore({ tableName: "clv-coupons" });
  });
  afterAll(async () => {
    await local.close();
  });

  /** Runs `clv coupons …` against the local table, collecting what it prints. */
  async function clv(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode = 0;
    const program = new Command("clv").exitOverride().configureOutput({ writeErr: (text) => err.push(text.trim()) });
    registerCouponCommands(program, { out: (l) => out.push(l), err: (l) => err.push(l), setExitCode: (c) => (exitCode = c), clock: () => NOW });
    await program.parseAsync(["node", "clv", "coupons", ...args, "--endpoint", local.endpoint, "--table", local.tableName]);
    return { out, err, exitCode };
  }

  it("imports a file with bad rows: each reported by row and field, every good code kept, a re-import adds nothing", async () => {
    const first = await clv("import", "win-back", fixture, "--expires", "2024-06-30", "--low-stock", "2", "--name", "Win-back 15 %");
    expect(first.err).toEqual([
      'row 4: field "code": is empty',
      'row 5: field "code": contains spaces or control characters',
      "row 8: has 3 cells but the header has 2 (an unquoted comma, such as a decimal comma?)",
    ]);
    expect(first.out[0]).toBe("coupon set win-back created");
    expect(first.out[1]).toBe(`${fixture}: 8 rows, 4 codes imported, 1 already in the set, 3 rejected`);
    expect(first.out[2]).toMatch(/^win-back\s+4 left of\s+4\s+0 assigned {2}expires 2024-07-01T00:00:00.000Z {2}Win-back 15 %$/);
    expect(first.exitCode).toBe(2);

    const again = await clv("import", "win-back", fixture);
    expect(again.out).toEqual([`${fixture}: 8 rows, 0 codes imported, 5 already in the set, 3 rejected`, expect.stringMatching(/^win-back\s+4 left of\s+4 /)]);

    const assign = await clv("assign", "win-back", "ann", "--json");
    expect(JSON.parse(assign.out[0]!)).toEqual({ status: "assigned", code: "WB-0001", expiresAt: "2024-07-01T00:00:00.000Z", alreadyAssigned: false });
    const status = await clv("status", "win-back", "--json");
    expect(JSON.parse(status.out[0]!)).toMatchObject({ setId: "win-back", codes: 4, assigned: 1, stock: 3, low: false });
    await clv("assign", "win-back", "ben");
    expect((await clv("status")).out).toEqual([expect.stringMatching(/^win-back\s+2 left of\s+4\s+2 assigned .*LOW \(≤ 2\)$/)]);
  });

  it("keeps every code of a large file, read in chunks", async () => {
    const file = join(dir, "many.csv");
    const all = codes("M", 2_500);
    writeFileSync(file, `code\n${all.join("\n")}\n`);
    const store = new CouponStore(storeClient({ endpoint: local.endpoint }), local.tableName, () => NOW);
    await store.createCouponSet({ id: "many", expiresAt: EXPIRES });
    expect(await importCouponFile(store, "many", file, { chunkCodes: 1_000 })).toEqual({ rows: 2_500, imported: 2_500, duplicates: 0, rejected: 0, errors: [] });
    expect((await store.couponStock("many"))!.stock).toBe(2_500);
  });

  it("refuses a new set without an expiry, and an expiry that is not a date, before reading the file", async () => {
    await expect(clv("import", "new-set", fixture)).rejects.toThrow('coupon set "new-set" does not exist yet: give --expires YYYY-MM-DD to create it');
    await expect(clv("import", "new-set", fixture, "--expires", "2024-02-30")).rejects.toThrow(/--expires.*expected a date like 2024-12-31/);
    await expect(clv("import", "new-set", fixture, "--expires", "2024-05-01")).rejects.toThrow(/--expires.*is in the past/);
    expect((await clv("status", "--json")).out[0]).not.toContain("new-set");
  });
});
