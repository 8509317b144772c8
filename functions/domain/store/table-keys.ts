import { createHash } from "node:crypto";

/*
 * Every key of the store's single table (docs/design.md, "Data model"), spelled here and nowhere else:
 * the DynamoDB adapters, the stream handlers, the local runner and the CDK stream filters build and
 * parse keys with these functions. Ids never contain "#" (contact.ts and order.ts refuse it), so a
 * prefix followed by an id reads back unambiguously.
 *
 *   PK                      SK                                   item
 *   CONTACT#<contactId>     PROFILE                              profile + order summary (o#…, x#…), its page 0
 *                           SUMMARY#<n, 6 digits>                page n ≥ 1 of a large contact's order summary (summaryPageKey)
 *                           ORDER#<orderId>                      an order as sent, with its status
 *                           EVENT#<isoTime>#<type>[#<emailId>]   an e-mail event
 *                           SCORES                               the figures of the last scoring
 *                           MEMBERSHIPS                          segment id → entered at
 *                           SEND#<idempotencyKey>                one e-mail send (claimed / sent)
 *                           ERASING                              while the contact is erased: the anonymous id
 *   SEGMENTS                DEFINITION#<segmentId>               a segment definition
 *   SEGMENT#<segmentId>     CONTACT#<contactId>                  a member (active or left)
 *   WORKFLOW#<workflowId>   CONTACT#<contactId>                  an enrolment
 *   MODELRUN                <runId>                              a nightly run: plan, status, summary
 *   SUPPRESSION#<sha256>    ADDRESS                              an erased contact's address, as its hash only
 *   EXPORT#<exportId>       JOB                                  a segment export job: state, file, rows
 *   ORDERIDS#<idPrefix>     CLAIMS                               order id claims: d#<last 2 digits> or c#<last character> = who the id belongs
 *                                                                to, with the order's facts (orderClaimKey)
 *   COUPONSETS              SET#<setId>                          a coupon set, for listing
 *   COUPONSET#<setId>       META                                 the set and its counters
 *                           SLOT#<n, 10 digits>                  the n-th code of the pool
 *                           CODE#<code>                          a code and its assignment
 *                           ASSIGNED#<contactId>                 the contact's code
 */

/** Prefixes of keys that carry an id. */
export const KeyPrefix = {
  contact: "CONTACT#",
  order: "ORDER#",
  event: "EVENT#",
  send: "SEND#",
  segment: "SEGMENT#",
  definition: "DEFINITION#",
  workflow: "WORKFLOW#",
  couponSet: "COUPONSET#",
  couponSetListing: "SET#",
  code: "CODE#",
  slot: "SLOT#",
  assigned: "ASSIGNED#",
  suppression: "SUPPRESSION#",
  exportJob: "EXPORT#",
  orderClaims: "ORDERIDS#",
  summaryPage: "SUMMARY#",
} as const;

/** Keys that are the same for every item of their kind. */
export const FixedKey = {
  profile: "PROFILE",
  scores: "SCORES",
  memberships: "MEMBERSHIPS",
  segments: "SEGMENTS",
  modelRun: "MODELRUN",
  couponSets: "COUPONSETS",
  couponSetMeta: "META",
  suppressedAddress: "ADDRESS",
  erasing: "ERASING",
  exportJob: "JOB",
  orderClaims: "CLAIMS",
} as const;

/**
 * Attribute name prefixes of the order summary in a PROFILE item: `o#<key>` = [at, total] for a
 * counted order, `x#<key>` = epoch ms for one taken out of the figures; the key is orderSummaryKey's.
 */
export const SummaryAttribute = { counted: "o#", removed: "x#" } as const;

/**
 * Attributes of every page of a contact's order summary (summaryPageKey) besides its entries: its own
 * counters (orderCount, revenue), how many entries were ever added to it, and whether it is sealed (it
 * takes no entry any more, so what it holds is known once read); PROFILE, page 0, also holds how many
 * further pages there are.
 */
export const SummaryPageAttribute = {
  entries: "summaryEntries",
  sealed: "summarySealed",
  pages: "summaryPages",
  /**
   * The whole ids of the page's entries named by a hash (over SUMMARY_ID_MAX), written by a first
   * load, which writes no order items: without them an erasure could not free those ids' claims.
   */
  longIds: "summaryLongIds",
} as const;

/** Longest order id the summary names as it is; a longer one is named by its hash (orderSummaryKey). */
export const SUMMARY_ID_MAX = 16;

/**
 * The order's name in its contact's summary: the id, or for an id longer than SUMMARY_ID_MAX `~` and
 * 16 characters of its SHA-256 (96 bits). A 100-character id then costs its summary page some 40
 * bytes instead of 130. A hashed key is 17 characters long, so it is never a short id.
 */
export function orderSummaryKey(orderId: string): string {
  return orderId.length <= SUMMARY_ID_MAX ? orderId : `~${createHash("sha256").update(orderId).digest("base64url").slice(0, 16)}`;
}

export interface TableKey {
  PK: string;
  SK: string;
}

// ---- partitions and sort keys ----

export const contactPk = (contactId: string) => `${KeyPrefix.contact}${contactId}`;
export const segmentPk = (segmentId: string) => `${KeyPrefix.segment}${segmentId}`;
export const workflowPk = (workflowId: string) => `${KeyPrefix.workflow}${workflowId}`;
export const couponSetPk = (setId: string) => `${KeyPrefix.couponSet}${setId}`;
export const orderSk = (orderId: string) => `${KeyPrefix.order}${orderId}`;
/** Zero-padded so that a set's slots list in pool order. */
export const slotSk = (slot: number) => `${KeyPrefix.slot}${String(slot).padStart(10, "0")}`;

// ---- whole keys, one per item ----

export const profileKey = (contactId: string): TableKey => ({ PK: contactPk(contactId), SK: FixedKey.profile });
export const scoresKey = (contactId: string): TableKey => ({ PK: contactPk(contactId), SK: FixedKey.scores });
export const membershipsKey = (contactId: string): TableKey => ({ PK: contactPk(contactId), SK: FixedKey.memberships });
/** While the contact is being erased (contact-erasure.ts): the anonymous id its orders move to. */
export const erasingKey = (contactId: string): TableKey => ({ PK: contactPk(contactId), SK: FixedKey.erasing });
/**
 * Page `page` of the contact's order summary: page 0 is the PROFILE item, which holds every order of
 * nearly every contact; a contact with more orders than a page takes (order-summary.ts) spills into
 * SUMMARY#000001, SUMMARY#000002, … under its partition, zero-padded so they list in order.
 */
export const summaryPageKey = (contactId: string, page: number): TableKey =>
  page === 0 ? profileKey(contactId) : { PK: contactPk(contactId), SK: `${KeyPrefix.summaryPage}${String(page).padStart(6, "0")}` };
/** The page number of a summary page's sort key: 0 for PROFILE, undefined for any other item. */
export function summaryPageOf(sk: string): number | undefined {
  if (sk === FixedKey.profile) return 0;
  const n = idAfter(KeyPrefix.summaryPage, sk);
  return n !== undefined && /^\d+$/.test(n) ? Number(n) : undefined;
}
export const orderKey = (contactId: string, orderId: string): TableKey => ({ PK: contactPk(contactId), SK: orderSk(orderId) });
/**
 * The time in UTC ISO form, so events sort by time; the e-mail id keeps two e-mails opened in the same
 * millisecond apart, and the same event sent twice lands on the same key.
 */
export const emailEventKey = (contactId: string, isoTime: string, type: string, emailId?: string): TableKey => ({
  PK: contactPk(contactId),
  SK: `${KeyPrefix.event}${isoTime}#${type}${emailId === undefined ? "" : `#${emailId}`}`,
});
export const sendKey = (contactId: string, idempotencyKey: string): TableKey => ({ PK: contactPk(contactId), SK: `${KeyPrefix.send}${idempotencyKey}` });
export const segmentDefinitionKey = (segmentId: string): TableKey => ({ PK: FixedKey.segments, SK: `${KeyPrefix.definition}${segmentId}` });
export const segmentMemberKey = (segmentId: string, contactId: string): TableKey => ({ PK: segmentPk(segmentId), SK: contactPk(contactId) });
export const enrolmentKey = (workflowId: string, contactId: string): TableKey => ({ PK: workflowPk(workflowId), SK: contactPk(contactId) });
export const modelRunKey = (runId: string): TableKey => ({ PK: FixedKey.modelRun, SK: runId });
export const couponSetListingKey = (setId: string): TableKey => ({ PK: FixedKey.couponSets, SK: `${KeyPrefix.couponSetListing}${setId}` });
export const couponSetMetaKey = (setId: string): TableKey => ({ PK: couponSetPk(setId), SK: FixedKey.couponSetMeta });
export const couponCodeKey = (setId: string, code: string): TableKey => ({ PK: couponSetPk(setId), SK: `${KeyPrefix.code}${code}` });
export const couponSlotKey = (setId: string, slot: number): TableKey => ({ PK: couponSetPk(setId), SK: slotSk(slot) });
/** The suppression of an address (addressKey: its SHA-256), kept when a contact is erased. */
export const suppressionKey = (addressHash: string): TableKey => ({ PK: `${KeyPrefix.suppression}${addressHash}`, SK: FixedKey.suppressedAddress });
/** A segment export job (segment-export-job.ts): one partition each, read by id only. */
export const exportJobKey = (exportId: string): TableKey => ({ PK: `${KeyPrefix.exportJob}${exportId}`, SK: FixedKey.exportJob });
/**
 * Where an order id is claimed: the store-wide record that the id is one order of one contact
 * (order-items.ts), written before anything of the order so the id is never counted for two contacts.
 * Ids that differ only in their last two digits, or else in a last letter or digit, share an item (at
 * most 100 + 62 + 1 claims, some 60 KB at most), so a file of sequential ids claims up to a hundred
 * with one conditional write; any other id has its own. One to one: the slot is `d#` and the last two
 * digits, `c#` and the last letter or digit, or `c#_` for an id kept whole in the key.
 */
export const orderClaimKey = (orderId: string): TableKey => ({ PK: `${KeyPrefix.orderClaims}${orderId.slice(0, orderId.length - claimTail(orderId))}`, SK: FixedKey.orderClaims });
/** The attribute of the orderClaimKey item that holds the id's claim. */
export function orderClaimSlot(orderId: string): string {
  const tail = claimTail(orderId);
  return tail === 2 ? `d#${orderId.slice(-2)}` : tail === 1 ? `c#${orderId.slice(-1)}` : "c#_";
}
/**
 * The orderClaimKey item's version: every write of its slots adds one, so a writer that read the item
 * can put it back whole, claims added, conditional on nothing having changed since (order-items.ts).
 */
export const ORDER_CLAIMS_VERSION = "claimsVersion";
/** How many of the id's last characters name its slot rather than its item. */
const claimTail = (orderId: string): number => (/[0-9]{2}$/.test(orderId) ? 2 : /[0-9A-Za-z]$/.test(orderId) ? 1 : 0);
export const couponAssignedKey = (setId: string, contactId: string): TableKey => ({ PK: couponSetPk(setId), SK: `${KeyPrefix.assigned}${contactId}` });

// ---- order summary attribute names ----

export const countedAttribute = (orderId: string) => `${SummaryAttribute.counted}${orderSummaryKey(orderId)}`;
export const removedAttribute = (orderId: string) => `${SummaryAttribute.removed}${orderSummaryKey(orderId)}`;

// ---- parsing keys back ----

/** The id after `prefix`, or undefined when the key does not start with it (or has nothing after it). */
export function idAfter(prefix: string, key: string): string | undefined {
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : undefined;
}

/** The contact id of a CONTACT#<id> key; throws, naming the key, for any other. */
export function contactIdOf(key: string): string {
  const id = idAfter(KeyPrefix.contact, key);
  if (id === undefined) throw new Error(`${JSON.stringify(key)} is not a contact key (${KeyPrefix.contact}<contactId>)`);
  return id;
}

/** The segment id of a SEGMENT#<id> partition; throws, naming the key, for any other. */
export function segmentIdOf(key: string): string {
  const id = idAfter(KeyPrefix.segment, key);
  if (id === undefined) throw new Error(`${JSON.stringify(key)} is not a segment key (${KeyPrefix.segment}<segmentId>)`);
  return id;
}

/** The orderSummaryKey of a summary attribute name `o#<key>` or `x#<key>`, with which of the two it is. */
export function summaryAttributeOf(name: string): { kind: "counted" | "removed"; key: string } | undefined {
  const counted = idAfter(SummaryAttribute.counted, name);
  if (counted !== undefined) return { kind: "counted", key: counted };
  const removed = idAfter(SummaryAttribute.removed, name);
  return removed === undefined ? undefined : { kind: "removed", key: removed };
}
