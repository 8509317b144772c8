import { readWorkflowFiles, WORKFLOWS_DIR } from "../../adapters/files/workflow-files.js";
import { contactAnswer } from "../../domain/store/contact-view.js";
import type { DynamoDbStore } from "../../adapters/dynamodb/dynamodb-store.js";

/**
 * The ids of the workflow files in `dir` (workflows/ by default): where `clv contact show` looks for a
 * contact's enrolments and `clv contact erase` moves them. Only the id is read, so a workflow file
 * that no longer validates still has its enrolments found.
 */
export function knownWorkflowIds(dir: string = WORKFLOWS_DIR): string[] {
  const ids = new Set<string>();
  for (const { text } of readWorkflowFiles(dir)) {
    try {
      const id = (JSON.parse(text) as { id?: unknown }).id;
      if (typeof id === "string" && id.length > 0) ids.add(id);
    } catch {
      // Not JSON: `clv workflows validate` names it; it has no id to look under.
    }
  }
  return [...ids];
}

export class ContactNotFoundError extends Error {
  constructor(readonly contactId: string) {
    super(`no contact "${contactId}" in the store`);
    this.name = "ContactNotFoundError";
  }
}

/** `clv contact show ID`: what GET /contacts/{id} answers, as JSON. */
export async function showContact(store: DynamoDbStore, contactId: string, storeCurrency: string, workflowIds = knownWorkflowIds()): Promise<string> {
  const view = await store.getContactView(contactId, workflowIds);
  if (!view) throw new ContactNotFoundError(contactId);
  return JSON.stringify(contactAnswer(view, storeCurrency), null, 2);
}

/** `clv contact erase ID`: what DELETE /contacts/{id} does, and a line saying what was kept. */
export async function eraseContact(store: DynamoDbStore, contactId: string, workflowIds = knownWorkflowIds()): Promise<string> {
  const report = await store.eraseContact(contactId, workflowIds);
  if (!report) throw new ContactNotFoundError(contactId);
  return (
    `contact ${contactId} erased: ${report.itemsDeleted} items removed; ${report.ordersKept} orders, ${report.enrolmentsKept} enrolments and ` +
    `${report.couponAssignmentsKept} coupon assignments kept under an anonymous id (the store's figures do not change)` +
    (report.addressSuppressed ? "; the address is kept only as a hash, so a later import of it is not mailed without a new consent" : "")
  );
}
