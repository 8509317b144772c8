import { describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { DynamoDbSendLog } from "../../functions/adapters/dynamodb/send-log.js";
import { createStoreTable, storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import { RetryableSendError } from "../../functions/domain/email/send-errors.js";
import type { Mailer } from "../../functions/domain/email/ports.js";
import { EmailSettings, type EmailDependencies } from "../../functions/domain/email/send-workflow-email.js";
import { workflowFunnel, type Enrolment } from "../../functions/domain/workflows/enrolment.js";
import { enrolContacts } from "../../functions/domain/workflows/workflow-steps.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { useDynaliteAndMail } from "../support/dynalite.js";
import { LocalWorkflows, type LocalWorkflowDependencies } from "../../functions/local/local-workflows.js";
import { taskStateNames } from "../../functions/local/state-machines.js";
import { synthesizedDefinition } from "../../functions/local/stack-synth.js";
import { WORKFLOW_STATES } from "../../lib/reactivation-workflow.js";
import { enrolTask } from "../../functions/handlers/workflow-enrol.js";

const NOW = Date.parse("2024-06-07T09:00:00Z");
const DAY = 86_400_000;
const workflow = shippedWorkflow("low-clv-reactivation");
const services = useDynaliteAndMail();
let tables = 0;

/** A store with a coupon set of `codes` codes and the contacts, each a Low CLV member unless said otherwise. */
async function storeWith(
  contacts: { id: string; subscription?: "subscribed" | "unsubscribed"; member?: boolean }[],
  codes = 10,
  overrides: Partial<LocalWorkflowDependencies> = {},
  mailer: Mailer = new SesMailer(sesClient(services.mail.endpoint)),
) {
  const client = storeClient({ endpoint: services.dynamo.endpoint });
  const tableName = `workflow-${++tables}`;
  await createStoreTable(client, tableName);
  const store = new DynamoDbStore(client, tableName);
  const coupons = new CouponStore(client, tableName);
  await coupons.createCouponSet({ id: workflow.couponSetId, name: "Come back", expiresAt: "2024-07-31T23:59:59Z" });
  if (codes > 0) await coupons.importCodes(workflow.couponSetId, Array.from({ length: codes }, (_, i) => `BACK-${tableName}-${i}`));
  for (const c of contacts) {
    await store.putContact(c.id, { email: `${c.id}@example.com`, firstName: "Ana", subscription: c.subscription ?? "subscribed", consentAt: "2024-01-01T00:00:00Z" });
    await store.recordOrder({ id: `o-${c.id}`, contactId: c.id, createdAt: "2024-01-10T10:00:00Z", total: 30, currency: "EUR", status: "placed" });
  }
  await store.applyMembershipChanges(workflow.segmentId, {
    entered: contacts.filter((c) => c.member !== false).map((c) => ({ contactId: c.id, enteredAt: new Date(NOW).toISOString() })),
    left: [],
    stayed: 0,
  });
  const email: EmailDependencies = {
    contacts: store,
    mailer,
    sendLog: new DynamoDbSendLog(client, tableName),
    settings: EmailSettings.parse({
      from: "Shop <hola@shop.example>",
      storeName: "Shop",
      storeUrl: "https://shop.example/",
      unsubscribeUrl: "http://127.0.0.1:3000/unsubscribe",
      unsubscribeSecret: "a-test-secret-of-enough-length",
    }),
  };
  const runner = new LocalWorkflows([workflow], { store, client, tableName, coupons, email, clock: () => NOW, ...overrides });
  const enrol = (ids: string[]) => enrolContacts(workflow, ids, { enrolments: store, starter: runner }, NOW);
  const enrolment = async (id: string) => (await store.getEnrolment(workflow.id, id)) as Enrolment;
  return { store, coupons, runner, enrol, enrolment };
}

const mailTo = async (id: string) => (await services.mail.listMail()).filter((m) => m.destination.to.includes(`${id}@example.com`));

describe("the Low CLV workflow as cdk synth emits it, under aws-local-stepfunctions", () => {
  it("has the seed's shape: membership Choice, coupon, e-mail, a native 7-day Wait, the two Choices after it", () => {
    // Act
    const definition = synthesizedDefinition("WorkflowsWorkflowlowclvreactivation");
    // Assess
    expect(definition.States[WORKFLOW_STATES.wait]).toMatchObject({ Type: "Wait", Seconds: 604_800 });
    for (const choice of [WORKFLOW_STATES.isInSegment, WORKFLOW_STATES.stillInSegment, WORKFLOW_STATES.purchased]) expect(definition.States[choice]!.Type).toBe("Choice");
    expect(definition.States[WORKFLOW_STATES.checkMembership]!.Resource).toBe("arn:aws:states:::dynamodb:getItem");
    expect(taskStateNames(definition)).toContain(WORKFLOW_STATES.sendReminder);
  });

  it("both branches: the buyer gets no reminder, the other one does; the funnel counts both", async () => {
    // Prepare
    let purchases: DynamoDbStore | undefined;
    const { store, runner, enrol, enrolment } = await storeWith([{ id: "buyer" }, { id: "quiet" }], 10, {
      // During the 7 days the buyer orders again.
      whenWaitEnds: async ({ contactId }) => {
        if (contactId === "buyer") await purchases!.recordOrder({ id: "comeback", contactId, createdAt: new Date(NOW + 3 * DAY).toISOString(), total: 45, currency: "EUR", status: "placed" });
      },
    });
    purchases = store;
    // Act and assess
    expect((await enrol(["buyer", "quiet"])).enrolled).toEqual(["buyer", "quiet"]);
    const executions = await runner.settled();
    expect(executions.map((e) => e.status)).toEqual(["succeeded", "succeeded"]);

    expect(await enrolment("buyer")).toMatchObject({ purchasedInWindow: true, revenueInWindow: 45, outcome: "purchased" });
    expect((await enrolment("buyer")).reminderSentAt).toBeUndefined();
    expect(await enrolment("quiet")).toMatchObject({ purchasedInWindow: false, outcome: "reminded", reminderSentAt: new Date(NOW + 7 * DAY).toISOString() });
    const buyerCode = (await enrolment("buyer")).couponCode!;
    expect(buyerCode).toMatch(/^BACK-/);
    expect((await mailTo("buyer")).map((m) => m.subject)).toHaveLength(1);
    const quietMail = await mailTo("quiet");
    expect(quietMail).toHaveLength(2);
    expect(quietMail.every((m) => m.body.text!.includes((quietMail[0] && m.body.text!.match(/BACK-\S+/)?.[0]) ?? "none"))).toBe(true);

    const enrolments: Enrolment[] = [];
    for await (const page of store.listEnrolments(workflow.id)) enrolments.push(...page);
    expect(workflowFunnel(workflow, enrolments)).toMatchObject({ enrolled: 2, couponsAssigned: 2, emailsSent: 2, purchasedInWindow: 1, revenueInWindow: 45, reminded: 1 });
  });

  it("a held-out contact gets no coupon and no mail, and its purchases in the window are measured the same", async () => {
    // Prepare: "dan" falls in this workflow's 10 % control group (a stable hash of workflow and contact); "eve" does not.
    let purchases: DynamoDbStore | undefined;
    const { store, runner, enrol, enrolment, coupons } = await storeWith([{ id: "dan" }, { id: "eve" }], 10, {
      whenWaitEnds: async ({ contactId, heldOut }) => {
        if (heldOut) await purchases!.recordOrder({ id: "held-out-order", contactId, createdAt: new Date(NOW + 2 * DAY).toISOString(), total: 25, currency: "EUR", status: "placed" });
      },
    });
    purchases = store;

    // Act
    await enrol(["dan", "eve"]);
    const executions = await runner.settled();

    // Assess
    expect(executions.map((e) => e.status)).toEqual(["succeeded", "succeeded"]);
    expect(await enrolment("dan")).toMatchObject({ heldOut: true, outcome: "held-out", purchasedInWindow: true, revenueInWindow: 25 });
    expect((await enrolment("dan")).couponCode).toBeUndefined();
    expect(await mailTo("dan")).toHaveLength(0);
    expect(await enrolment("eve")).toMatchObject({ heldOut: false, outcome: "reminded", purchasedInWindow: false });
    expect(await coupons.couponStock(workflow.couponSetId)).toMatchObject({ assigned: 1 });
    const enrolments: Enrolment[] = [];
    for await (const page of store.listEnrolments(workflow.id)) enrolments.push(...page);
    const funnel = workflowFunnel(workflow, enrolments);
    expect(funnel).toMatchObject({ enrolled: 2, heldOut: 1, couponsAssigned: 1, emailsSent: 1, purchasedInWindow: 0, reminded: 1 });
    expect(funnel.lift.mailed).toMatchObject({ contacts: 1, converted: 0, revenue: 0 });
    expect(funnel.lift.heldOut).toMatchObject({ contacts: 1, converted: 1, revenue: 25 });
  });

  it("a held-out contact who is unsubscribed ends as the mailed one would, without a wait", async () => {
    // Prepare
    const { runner, enrol, enrolment } = await storeWith([{ id: "dan", subscription: "unsubscribed" }]);
    await enrol(["dan"]);
    // Act
    await runner.settled();
    // Assess
    expect(await enrolment("dan")).toMatchObject({ heldOut: true, outcome: "unsubscribed" });
    expect((await enrolment("dan")).purchasedInWindow).toBeUndefined();
  });

  it("a contact no longer in the segment when the execution starts gets nothing", async () => {
    // Prepare
    const { runner, enrol, enrolment } = await storeWith([{ id: "gone", member: false }]);
    await enrol(["gone"]);
    // Act
    await runner.settled();
    // Assess
    expect(await enrolment("gone")).toMatchObject({ outcome: "not-in-segment" });
    expect((await enrolment("gone")).couponCode).toBeUndefined();
    expect(await mailTo("gone")).toHaveLength(0);
  });

  it("a contact who unsubscribes during the wait gets no reminder", async () => {
    // Prepare
    let store: DynamoDbStore | undefined;
    const made = await storeWith([{ id: "leaver" }], 10, {
      whenWaitEnds: async ({ contactId }) => void (await store!.changeSubscription(contactId, { type: "opt-out", via: "link", at: new Date(NOW + DAY).toISOString() })),
    });
    store = made.store;
    await made.enrol(["leaver"]);
    // Act
    await made.runner.settled();
    // Assess
    expect(await made.enrolment("leaver")).toMatchObject({ outcome: "unsubscribed", purchasedInWindow: false });
    expect(await mailTo("leaver")).toHaveLength(1);
  });

  it("out of coupons: the workflow records it and sends nothing", async () => {
    // Prepare
    const { coupons, runner, enrol, enrolment } = await storeWith([{ id: "first" }, { id: "second" }], 1);
    await enrol(["first"]);
    await runner.settled();
    await enrol(["second"]);
    // Act
    await runner.settled();
    // Assess
    expect(await enrolment("second")).toMatchObject({ outcome: "out-of-coupons" });
    expect(await mailTo("second")).toHaveLength(0);
    expect(await coupons.couponStock(workflow.couponSetId)).toMatchObject({ stock: 0, assigned: 1 });
  });

  it("SES failing once is retried, and the mail goes once", async () => {
    // Prepare
    const ses = new SesMailer(sesClient(services.mail.endpoint));
    let failures = 0;
    const flaky: Mailer = {
      send: async (email) => {
        if (failures++ === 0) throw new RetryableSendError("Throttling", "SES throttled the send", "no");
        return ses.send(email);
      },
    };
    const made = await storeWith([{ id: "retry" }], 10, {}, flaky);
    await made.enrol(["retry"]);
    // Act
    const [execution] = await made.runner.settled();
    // Assess
    expect(execution!.status).toBe("succeeded");
    expect(failures).toBe(3);
    const subjects = (await mailTo("retry")).map((m) => m.subject);
    expect(subjects).toHaveLength(2);
    expect(new Set(subjects).size).toBe(2);
    expect(await made.enrolment("retry")).toMatchObject({ outcome: "reminded" });
  });

  it("a contact enrols once; starting the same enrolment again is a no-op", async () => {
    // Prepare
    const { runner, enrol } = await storeWith([{ id: "once" }]);
    // Act and assess
    expect((await enrol(["once"])).enrolled).toEqual(["once"]);
    expect(await enrol(["once"])).toEqual({ enrolled: [], skipped: 1 });
    await runner.settled();
    expect(runner.started).toBe(1);
    expect(await mailTo("once")).toHaveLength(2);
  });

  it("enrols entrants from the stream's membership records: only those that turned active", async () => {
    // Prepare
    const { store, runner, enrolment } = await storeWith([{ id: "new-member" }, { id: "old-member" }, { id: "leaver" }]);
    const record = (contactId: string, before: boolean | undefined, after: boolean) => ({
      eventName: "MODIFY",
      dynamodb: {
        Keys: { PK: { S: `SEGMENT#${workflow.segmentId}` }, SK: { S: `CONTACT#${contactId}` } },
        NewImage: { active: { BOOL: after } },
        ...(before !== undefined && { OldImage: { active: { BOOL: before } } }),
      },
    });
    const enrol = enrolTask({ workflows: [workflow], enrolments: store, starter: runner, members: store, clock: () => NOW });
    // Act
    const result = await enrol({ Records: [record("new-member", undefined, true), record("old-member", true, true), record("leaver", true, false)] });
    // Assess
    expect(result.enrolments).toEqual([{ workflowId: workflow.id, enrolled: 1, skipped: 0 }]);
    await runner.settled();
    expect(await enrolment("new-member")).toMatchObject({ outcome: "reminded" });
    expect(await store.getEnrolment(workflow.id, "old-member")).toBeUndefined();
    await expect(enrol({ Records: [{ dynamodb: { Keys: { PK: { S: "CONTACT#x" } } } }] })).rejects.toThrow(/bad entered-segment event: Records.0.dynamodb.Keys.PK.S/);
  });
});
