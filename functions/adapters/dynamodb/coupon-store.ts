import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { assignmentStep, type CouponOutcome } from "../../domain/coupons/coupon-assignment.js";
import type { CouponSetDefinition } from "../../domain/coupons/coupon-set.js";
import { CouponImportBusyError, NoSuchCouponSetError, type CodeImport, type CouponSets } from "../../domain/coupons/coupon-sets.js";
import { couponStock, type CouponSetState, type CouponStock } from "../../domain/coupons/coupon-stock.js";
import { FixedKey, KeyPrefix, couponAssignedKey, couponCodeKey, couponSetListingKey, couponSetMetaKey, couponSlotKey, slotSk, type TableKey } from "../../domain/store/table-keys.js";
import { chunks, inParallel, type BatchOptions } from "./table-batches.js";
import { StoreTable, isConditionFailed, parseStored } from "./table.js";

/*
 * Items (docs/design.md, "Data model"; keys in table-keys.ts), all under the set's partition COUPONSET#<id>:
 *   META                 name, expiresAt, lowStockThreshold and the counters: codeCount (codes in the
 *                        pool, numbered 1…codeCount), claimCount (numbers handed out so far, in order),
 *                        `returned` (a string set of codes given back, handed out first), and while an
 *                        import runs, its lease (importToken, importUntil).
 *   SLOT#<n>             the n-th code of the pool: what makes a claim O(1) (a code's number has to
 *                        lead to the code without a scan, and CODE#<code> is keyed by the code, for
 *                        re-imports).
 *   CODE#<code>          the code, its number (`slot`), and once assigned, contactId and assignedAt.
 *   ASSIGNED#<contactId> the contact's code.
 * and one item per set under COUPONSETS (SK SET#<id>), so listing sets is a Query, not a scan.
 *
 * Assigning a code, with no transactions (dynalite has none), each step one conditional write:
 *   1. read META and ASSIGNED#<contact>: a contact that has a code gets it again;
 *   2. claim: take a returned code (DELETE from the set, conditional on it being in it), or else
 *      ADD 1 to claimCount, conditional on claimCount < codeCount; the new value n is this caller's
 *      alone, and SLOT#n names the code. The counter never passes codeCount, so a later import's codes
 *      are never skipped;
 *   3. mark CODE#<code> with the contact, conditional on no other contact being on it: a second guard,
 *      so that even a pool that held a code twice could not give it to two contacts (the claim is then
 *      void and the caller claims again);
 *   4. put ASSIGNED#<contact>, conditional on it not existing: the arbiter of "one code per contact".
 *      A caller that loses this race (the same contact asked twice at once) takes its mark off the
 *      code and gives the code back to `returned`, then answers with the winner's code. Giving back
 *      rather than voiding keeps the stock exact: a burst of repeated requests costs no codes.
 * A crash (or a lost response the SDK retries) between steps can waste a code (claimed, never
 * assigned, counted as handed out); no order of failures gives a code to two contacts.
 *
 * Importing numbers new codes after codeCount and publishes them by raising codeCount only once their
 * SLOT and CODE items are written, so a claim never reads a number without its code. Two imports into
 * one set at once would number codes alike, so an import holds a lease on META (taken with a
 * conditional write, renewed with each step, ending by itself should the importer die). An importer
 * that stalls past its lease and then writes on could leave a code under two numbers; step 3 is what
 * keeps that from reaching two contacts.
 */

/** Rounds of read-and-claim before giving up; each lost round means another caller moved the set on. */
const CLAIM_ROUNDS_MAX = 20;

export interface CouponStoreOptions extends BatchOptions {
  /** Codes numbered and published together by an import (two items each). */
  importStep?: number;
  /** How long an import holds a set before another may take it over; far longer than one step takes. */
  importLeaseMs?: number;
}

/** The coupon sets in the store's table (same table, same client as DynamoDbStore). */
export class CouponStore implements CouponSets {
  private readonly table: StoreTable;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly importStep: number;
  private readonly importLeaseMs: number;
  /** The stock each outcome's claim saw (stockAfter). */
  private readonly stockSeen = new WeakMap<CouponOutcome, CouponStock>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
    options: CouponStoreOptions = {},
  ) {
    this.table = new StoreTable(client, tableName, clock, options);
    this.random = this.table.batches.random;
    this.concurrency = this.table.concurrency;
    this.importStep = options.importStep ?? 1_000;
    this.importLeaseMs = options.importLeaseMs ?? 10 * 60_000;
  }

  // ---- sets ----

  async createCouponSet(definition: CouponSetDefinition): Promise<"created" | "updated"> {
    const expiresMs = Date.parse(definition.expiresAt);
    if (!Number.isFinite(expiresMs)) throw new RangeError(`coupon set ${definition.id}: expiresAt ${JSON.stringify(definition.expiresAt)} is not a time`);
    const now = new Date(this.clock()).toISOString();
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: couponSetMetaKey(definition.id),
        // Name and threshold left out keep what the set has; counters start at 0 and are never set here.
        UpdateExpression:
          `SET setId = :id, #name = ${definition.name !== undefined ? ":name" : "if_not_exists(#name, :id)"}, ` +
          // One ISO form (toISOString), so that the claim's condition can compare it with now as text.
          "expiresAt = :expiresAt, " +
          `lowStockThreshold = ${definition.lowStockThreshold !== undefined ? ":low" : "if_not_exists(lowStockThreshold, :zero)"}, ` +
          "codeCount = if_not_exists(codeCount, :zero), claimCount = if_not_exists(claimCount, :zero), " +
          "createdAt = if_not_exists(createdAt, :now), updatedAt = :now",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: {
          ":id": definition.id,
          ":expiresAt": new Date(expiresMs).toISOString(),
          ":zero": 0,
          ":now": now,
          ...(definition.name !== undefined && { ":name": definition.name }),
          ...(definition.lowStockThreshold !== undefined && { ":low": definition.lowStockThreshold }),
        },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    // After META: a crash in between leaves a set that listing misses until it is created again.
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...couponSetListingKey(definition.id), setId: definition.id } }));
    return Attributes?.createdAt === undefined ? "created" : "updated";
  }

  async couponStock(setId: string): Promise<CouponStock | undefined> {
    const set = await this.readSet(setId);
    return set && couponStock(set.state, this.clock());
  }

  /** Every set with its stock, by id. */
  async listCouponSets(): Promise<CouponStock[]> {
    const ids: string[] = [];
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :set)", ExpressionAttributeValues: { ":pk": FixedKey.couponSets, ":set": KeyPrefix.couponSetListing } };
    for await (const items of this.table.query(query)) for (const item of items) ids.push(String(item.setId));
    const stocks: CouponStock[] = [];
    await inParallel(ids, this.concurrency, async (id) => {
      const stock = await this.couponStock(id);
      if (stock) stocks.push(stock);
    });
    return stocks.sort((a, b) => a.setId.localeCompare(b.setId));
  }

  // ---- importing codes ----

  /**
   * Adds codes to the set's pool, `importStep` at a time: the step's codes the set does not have yet
   * get the next numbers, their CODE and SLOT items are written (BatchWriteItem), and then codeCount
   * is raised to publish them. A crash leaves written but unpublished codes, which the next import of
   * the same codes finds not pooled and numbers again.
   */
  async importCodes(setId: string, codes: readonly string[]): Promise<CodeImport> {
    const unique = [...new Set(codes)];
    let duplicates = codes.length - unique.length;
    let imported = 0;
    const lease = await this.takeImportLease(setId);
    let done = false;
    try {
      let published = lease.codeCount;
      for (const step of chunks(unique, this.importStep)) {
        const fresh = await this.notPooled(setId, step, published);
        duplicates += step.length - fresh.length;
        const first = published + 1;
        await this.writeItems(
          fresh.flatMap((code, i) => [
            { ...couponCodeKey(setId, code), code, slot: first + i },
            { ...couponSlotKey(setId, first + i), code },
          ]),
        );
        // Also renews the lease when the step had nothing new (a re-imported file is all reads).
        await this.publish(setId, lease.token, published, published + fresh.length);
        published += fresh.length;
        imported += fresh.length;
      }
      done = true;
    } finally {
      // A failed release must not hide why the import failed; the lease then runs out by itself.
      await this.releaseImportLease(setId, lease.token).catch((error: unknown) => {
        if (done) throw error;
      });
    }
    return { imported, duplicates };
  }

  /**
   * The codes of `step` not in the pool. A code is in it when its CODE item is there and names a
   * published number whose SLOT item holds this very code: numbers up to codeCount are written before
   * they are published and never rewritten after (imports write beyond codeCount only), so a CODE item
   * that fails the test is what a crashed import left, and its code is numbered again.
   */
  private async notPooled(setId: string, step: readonly string[], published: number): Promise<string[]> {
    const found = await this.getItems(
      step.map((code) => couponCodeKey(setId, code)),
      ["code", "slot", "contactId"],
    );
    const pooled = new Set<string>();
    const expected = new Map<string, { slot: number; code: string }>();
    for (const item of found) {
      const code = String(item.code);
      if (item.contactId !== undefined) pooled.add(code);
      else if (typeof item.slot === "number" && item.slot <= published) expected.set(slotSk(item.slot), { slot: item.slot, code });
    }
    const slots = await this.getItems(
      [...expected.values()].map(({ slot }) => couponSlotKey(setId, slot)),
      ["SK", "code"],
    );
    for (const slot of slots) if (expected.get(String(slot.SK))?.code === slot.code) pooled.add(String(slot.code));
    return step.filter((code) => !pooled.has(code));
  }

  private async takeImportLease(setId: string): Promise<{ token: string; codeCount: number }> {
    const token = randomUUID();
    const now = this.clock();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponSetMetaKey(setId),
          UpdateExpression: "SET importToken = :token, importUntil = :until",
          ConditionExpression: "attribute_exists(PK) AND (attribute_not_exists(importToken) OR importUntil < :now)",
          ExpressionAttributeValues: { ":token": token, ":until": now + this.importLeaseMs, ":now": now },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { token, codeCount: Number(Attributes?.codeCount ?? 0) };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: couponSetMetaKey(setId), ConsistentRead: true }));
      if (!Item) throw new NoSuchCouponSetError(setId);
      throw new CouponImportBusyError(setId, new Date(Number(Item.importUntil)).toISOString());
    }
  }

  /** Raises codeCount from `from` to `to` and renews the lease, both only while the lease is still this import's. */
  private async publish(setId: string, token: string, from: number, to: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponSetMetaKey(setId),
          UpdateExpression: "SET codeCount = :to, importUntil = :until",
          ConditionExpression: "importToken = :token AND codeCount = :from",
          ExpressionAttributeValues: { ":to": to, ":from": from, ":token": token, ":until": this.clock() + this.importLeaseMs },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new Error(
        `coupon set ${setId}: this import held the set longer than its lease (${this.importLeaseMs / 1000} s) and another import took over; ` +
          `importing the same codes again is safe (codes already in the set are skipped)`,
        { cause: error },
      );
    }
  }

  private async releaseImportLease(setId: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponSetMetaKey(setId),
          UpdateExpression: "REMOVE importToken, importUntil",
          ConditionExpression: "importToken = :token",
          ExpressionAttributeValues: { ":token": token },
        }),
      );
    } catch (error) {
      // Taken over after it ran out: the lease is the other import's now.
      if (!isConditionFailed(error)) throw error;
    }
  }

  // ---- assigning ----

  /**
   * The set's stock as the claim behind `outcome` left it (its conditional update returns the set), for
   * the coupons-left metric without another read; undefined for an outcome that took no code from the
   * stock, or one this store did not give.
   */
  stockAfter(outcome: CouponOutcome): CouponStock | undefined {
    return this.stockSeen.get(outcome);
  }

  async assignCoupon(setId: string, contactId: string, now: number): Promise<CouponOutcome> {
    const at = new Date(now).toISOString();
    for (let round = 0; round < CLAIM_ROUNDS_MAX; round++) {
      const { set, assigned } = await this.readSetAndAssignment(setId, contactId);
      const step = assignmentStep(set?.state, assigned, now);
      if (step.status !== "claim") {
        // Out of stock: the stock is what was just read.
        if (step.status === "out-of-stock") this.stockSeen.set(step, couponStock(set!.state, this.clock()));
        return step;
      }
      // A failed claim means another caller took the last code (or the returned one) or the set expired
      // since the read: the next round reads again and says which.
      const claim = (await this.takeReturned(setId, set!.returned, at)) ?? (await this.claimFromPool(setId, at));
      if (claim === undefined) continue;
      const outcome = await this.assignClaimed(setId, contactId, claim.code, set!.state.expiresAt, at);
      if (outcome) {
        if (outcome.status === "assigned" && !outcome.alreadyAssigned) this.stockSeen.set(outcome, claim.stock);
        return outcome;
      }
    }
    throw new Error(`coupon set ${setId}: no code could be claimed for contact ${contactId} in ${CLAIM_ROUNDS_MAX} rounds (too many callers at once); asking again is safe`);
  }

  /** Takes one of the returned codes, with the set's stock after it; undefined when another caller took it first. */
  private async takeReturned(setId: string, returned: readonly string[], at: string): Promise<Claim | undefined> {
    if (returned.length === 0) return undefined;
    // A random one, so that callers reading the same set at once seldom go for the same code.
    const code = returned[Math.floor(this.random() * returned.length)]!;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponSetMetaKey(setId),
          UpdateExpression: "DELETE #returned :code",
          ConditionExpression: "contains(#returned, :one) AND expiresAt > :at",
          ExpressionAttributeNames: { "#returned": "returned" },
          ExpressionAttributeValues: { ":code": new Set([code]), ":one": code, ":at": at },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { code, stock: couponStock(setRead(setId, Attributes ?? {}).state, this.clock()) };
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Claims the next number of the pool and reads its code, with the set's stock after it; undefined when the pool is used up or the set expired. */
  private async claimFromPool(setId: string, at: string): Promise<Claim | undefined> {
    let slot: number;
    let stock: CouponStock;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponSetMetaKey(setId),
          UpdateExpression: "ADD claimCount :one",
          ConditionExpression: "claimCount < codeCount AND expiresAt > :at",
          ExpressionAttributeValues: { ":one": 1, ":at": at },
          ReturnValues: "ALL_NEW",
        }),
      );
      const set = setRead(setId, Attributes ?? {});
      slot = set.state.claimed;
      stock = couponStock(set.state, this.clock());
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: couponSlotKey(setId, slot), ConsistentRead: true }));
    // Numbers are published only after their SLOT items are written, so this is a damaged table.
    if (typeof Item?.code !== "string") throw new Error(`coupon set ${setId}: code number ${slot} is published but its ${slotSk(slot)} item is missing`);
    return { code: Item.code, stock };
  }

  /**
   * Steps 3 and 4 for a claimed code (see the top of this file). Undefined when the code turned out to
   * be another contact's: the claim is void and the caller claims again.
   */
  private async assignClaimed(setId: string, contactId: string, code: string, expiresAt: string, at: string): Promise<CouponOutcome | undefined> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponCodeKey(setId, code),
          UpdateExpression: "SET contactId = :contact, assignedAt = :at",
          // Or this contact already: the SDK retrying a mark whose response was lost must not void it.
          ConditionExpression: "attribute_not_exists(contactId) OR contactId = :contact",
          ExpressionAttributeValues: { ":contact": contactId, ":at": at },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...couponAssignedKey(setId, contactId), setId, contactId, code, assignedAt: at, expiresAt },
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
      return { status: "assigned", code, expiresAt, alreadyAssigned: false };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const winner = await this.assignedCode(setId, contactId);
    if (winner === undefined) throw new Error(`coupon set ${setId}: the assignment of contact ${contactId} was refused as existing, yet it cannot be read`);
    // Our own put, retried by the SDK after a lost response, finds itself: the code is ours.
    if (winner === code) return { status: "assigned", code, expiresAt, alreadyAssigned: false };
    await this.giveBack(setId, contactId, code);
    return { status: "assigned", code: winner, expiresAt, alreadyAssigned: true };
  }

  /** Takes the contact's mark off a code it lost the race for, then returns the code to the set. In this order: a returned code is never still marked. */
  private async giveBack(setId: string, contactId: string, code: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: couponCodeKey(setId, code),
          UpdateExpression: "REMOVE contactId, assignedAt",
          ConditionExpression: "contactId = :contact",
          ExpressionAttributeValues: { ":contact": contactId },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: couponSetMetaKey(setId),
        UpdateExpression: "ADD #returned :code",
        ExpressionAttributeNames: { "#returned": "returned" },
        ExpressionAttributeValues: { ":code": new Set([code]) },
      }),
    );
  }

  // ---- reading ----

  private async readSet(setId: string): Promise<SetRead | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: couponSetMetaKey(setId), ConsistentRead: true }));
    return Item && setRead(setId, Item);
  }

  /** META and the contact's assignment in one request (BatchGetItem): every assignment starts with both. */
  private async readSetAndAssignment(setId: string, contactId: string): Promise<{ set?: SetRead; assigned?: string }> {
    const items = await this.getItems(
      [
        couponSetMetaKey(setId),
        couponAssignedKey(setId, contactId),
      ],
    );
    const meta = items.find((item) => item.SK === FixedKey.couponSetMeta);
    const assigned = items.find((item) => item.SK !== FixedKey.couponSetMeta)?.code;
    return { ...(meta && { set: setRead(setId, meta) }), ...(typeof assigned === "string" && { assigned }) };
  }

  private async assignedCode(setId: string, contactId: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: couponAssignedKey(setId, contactId), ConsistentRead: true, ProjectionExpression: "code" }),
    );
    return typeof Item?.code === "string" ? Item.code : undefined;
  }

  private writeItems(items: readonly Record<string, unknown>[]): Promise<void> {
    return this.table.writeItems(items);
  }

  private getItems(keys: readonly TableKey[], attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
    return this.table.getItems(keys, attributes);
  }
}

const StoredMeta = z.object({
  setId: z.string(),
  name: z.string(),
  expiresAt: z.string(),
  lowStockThreshold: z.number(),
  codeCount: z.number(),
  claimCount: z.number(),
  returned: z.set(z.string()).optional(),
});

/** A code claimed for a contact, and the set's stock as the claim left it. */
interface Claim {
  code: string;
  stock: CouponStock;
}

/** A set as read from META, with the returned codes themselves (the state counts them). */
interface SetRead {
  state: CouponSetState;
  returned: string[];
}

function setRead(setId: string, item: Record<string, unknown>): SetRead {
  const meta = parseStored(StoredMeta, item, `coupon set ${setId}`);
  const returned = [...(meta.returned ?? [])];
  return {
    state: {
      id: meta.setId,
      name: meta.name,
      expiresAt: meta.expiresAt,
      lowStockThreshold: meta.lowStockThreshold,
      codes: meta.codeCount,
      claimed: meta.claimCount,
      returned: returned.length,
    },
    returned,
  };
}
