import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import type { ContactMemberships, NightlyPlan, NightlySummary } from "../../domain/nightly/nightly-scoring.js";
import type { SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { MembershipChanges } from "../../domain/segments/segment-membership.js";
import type { ContactInput } from "../../domain/store/contact.js";
import type { ProfileSource } from "../../domain/store/contact-update.js";
import type { EmailEventInput } from "../../domain/store/email-event.js";
import type { OrderDifference } from "../../domain/store/order-conflict.js";
import type { OrderInput } from "../../domain/store/order.js";
import type { StoreData, SubscriptionChangeEvent } from "../../domain/store/ports.js";
import type { RefundChange } from "../../domain/store/record-order.js";
import type { Enrolment } from "../../domain/workflows/enrolment.js";
import { ContactRecords } from "./contact-erasure.js";
import { ContactItems } from "./contact-items.js";
import { ContactStates } from "./contact-states.js";
import { EnrolmentItems } from "./enrolment-items.js";
import { ExportJobItems } from "./export-job-items.js";
import { ModelRunItems } from "./model-run-items.js";
import { OrderItems } from "./order-items.js";
import { ScoreItems } from "./score-items.js";
import { SegmentItems } from "./segment-items.js";
import { UnprocessedItemsError, type BatchOptions } from "./table-batches.js";
import { StoreTable } from "./table.js";

export type { ContactOutcome, ContactRecord, ContactWrite } from "./contact-items.js";
export type { StoredOrder } from "./order-items.js";
export { decimalSum } from "./order-summary.js";
export type { StoredScores } from "./score-items.js";
export { UnprocessedItemsError };

/** Batch retries and the requests in flight at once in a bulk call (recordOrders, putContacts, putScores). */
export type DynamoDbStoreOptions = BatchOptions;

/**
 * The store's data in one DynamoDB table (keys: domain/store/table-keys.ts), one store of items per
 * thing stored, behind this one object that the handlers, the local runner and the tests hold. No
 * transactions (dynalite has none): every write is a single-item write that is safe to repeat, so a
 * crash between two of them is healed by sending the same thing again.
 */
export class DynamoDbStore implements StoreData {
  readonly contacts: ContactItems;
  readonly orders: OrderItems;
  readonly scores: ScoreItems;
  readonly segments: SegmentItems;
  readonly enrolments: EnrolmentItems;
  readonly modelRuns: ModelRunItems;
  readonly contactStates: ContactStates;
  readonly contactRecords: ContactRecords;
  readonly exportJobs: ExportJobItems;

  constructor(client: DynamoDBDocumentClient, tableName: string, clock: () => number = Date.now, options: DynamoDbStoreOptions = {}) {
    const table = new StoreTable(client, tableName, clock, options);
    this.contacts = new ContactItems(table);
    this.orders = new OrderItems(table);
    this.scores = new ScoreItems(table, this.contacts);
    this.segments = new SegmentItems(table);
    this.enrolments = new EnrolmentItems(table);
    this.modelRuns = new ModelRunItems(table);
    this.contactStates = new ContactStates(table);
    this.contactRecords = new ContactRecords(table);
    this.exportJobs = new ExportJobItems(table);
  }

  // ---- contacts (contact-items.ts) ----
  putContact(contactId: string, contact: ContactInput, source?: ProfileSource) { return this.contacts.putContact(contactId, contact, source); }
  putContacts(contacts: readonly { contactId: string; contact: ContactInput }[], source?: ProfileSource) { return this.contacts.putContacts(contacts, source); }
  getContact(contactId: string) { return this.contacts.getContact(contactId); }
  getContactProfile(contactId: string) { return this.contacts.getContactProfile(contactId); }
  changeSubscription(contactId: string, event: SubscriptionChangeEvent) { return this.contacts.changeSubscription(contactId, event); }
  listContacts(segment = 0, totalSegments = 1) { return this.contacts.listContacts(segment, totalSegments); }
  recordEmailEvent(event: EmailEventInput) { return this.contacts.recordEmailEvent(event); }
  getContactView(contactId: string, workflowIds: readonly string[]) { return this.contactRecords.getContactView(contactId, workflowIds); }
  eraseContact(contactId: string, workflowIds: readonly string[]) { return this.contactRecords.eraseContact(contactId, workflowIds); }

  // ---- orders (order-items.ts) ----
  recordOrder(order: OrderInput, refund?: RefundChange) { return this.orders.recordOrder(order, refund); }
  recordOrders(orders: readonly OrderInput[], conflicts?: Map<number, OrderDifference[]>, refunds?: Map<number, RefundChange>) { return this.orders.recordOrders(orders, conflicts, refunds); }
  getOrder(contactId: string, orderId: string) { return this.orders.getOrder(contactId, orderId); }

  // ---- scores (score-items.ts) ----
  scanHistories(segment = 0, totalSegments = 1) { return this.scores.scanHistories(segment, totalSegments); }
  putScores(scores: readonly ContactScores[]) { return this.scores.putScores(scores); }
  getScores(contactId: string) { return this.scores.getScores(contactId); }
  getContactsWithScores(contactIds: readonly string[]) { return this.scores.getContactsWithScores(contactIds); }
  listScores(segment = 0, totalSegments = 1) { return this.scores.listScores(segment, totalSegments); }

  // ---- model runs and the night's contact states (model-run-items.ts, contact-states.ts) ----
  saveNightlyPlan(plan: NightlyPlan) { return this.modelRuns.saveNightlyPlan(plan); }
  getNightlyPlan(runId: string) { return this.modelRuns.getNightlyPlan(runId); }
  completeNightlyRun(runId: string, summary: NightlySummary) { return this.modelRuns.completeNightlyRun(runId, summary); }
  latestCompletedPlan() { return this.modelRuns.latestCompletedPlan(); }
  latestNightlySummary() { return this.modelRuns.latestNightlySummary(); }
  scanContactStates(segment = 0, totalSegments = 1) { return this.contactStates.scanContactStates(segment, totalSegments); }
  getContactStates(contactIds: readonly string[]) { return this.contactStates.getContactStates(contactIds); }

  // ---- segments and memberships (segment-items.ts) ----
  putContactMemberships(memberships: readonly ContactMemberships[]) { return this.segments.putContactMemberships(memberships); }
  putSegmentDefinition(definition: SegmentDefinition) { return this.segments.putSegmentDefinition(definition); }
  listSegmentDefinitions() { return this.segments.listSegmentDefinitions(); }
  activeSegmentMembers(segmentId: string) { return this.segments.activeSegmentMembers(segmentId); }
  activeSegmentMemberPages(segmentId: string) { return this.segments.activeSegmentMemberPages(segmentId); }
  activeSegmentMemberPage(segmentId: string, after: string | undefined, limit: number) { return this.segments.activeSegmentMemberPage(segmentId, after, limit); }
  applyMembershipChanges(segmentId: string, changes: MembershipChanges) { return this.segments.applyMembershipChanges(segmentId, changes); }

  // ---- workflow enrolments (enrolment-items.ts) ----
  getEnrolment(workflowId: string, contactId: string) { return this.enrolments.getEnrolment(workflowId, contactId); }
  getEnrolments(workflowId: string, contactIds: readonly string[]) { return this.enrolments.getEnrolments(workflowId, contactIds); }
  putEnrolment(enrolment: Enrolment, replacing?: Pick<Enrolment, "enrolledAt">) { return this.enrolments.putEnrolment(enrolment, replacing); }
  updateEnrolment(workflowId: string, contactId: string, fields: Partial<Omit<Enrolment, "workflowId" | "contactId">>) { return this.enrolments.updateEnrolment(workflowId, contactId, fields); }
  listEnrolments(workflowId: string) { return this.enrolments.listEnrolments(workflowId); }
}
