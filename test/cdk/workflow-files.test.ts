import { describe, expect, it } from "vitest";
import { loadWorkflows } from "../../functions/adapters/files/workflow-files.js";
import { windowDays } from "../../functions/domain/workflows/workflow-definition.js";
import { workflowLogicalIdPrefix } from "../../functions/local/local-workflows.js";
import { runLocally, taskStateNames, type LocalTaskHandler } from "../../functions/local/state-machines.js";
import { synthesizedDefinition } from "../../functions/local/stack-synth.js";
import { WORKFLOW_STATES as S } from "../../lib/reactivation-workflow.js";

/** How the outside world answers, for one execution. */
interface World {
  member: boolean;
  heldOut: boolean;
  mailable?: boolean;
  purchased?: boolean;
}

/**
 * Runs the state machine `cdk synth` makes of a workflow file, every task answered by a stub that
 * records what it was asked: the path a contact takes, and each task's payload, with no table.
 */
async function walk(workflowId: string, world: World): Promise<{ visited: string[]; payloads: Record<string, Record<string, unknown>> }> {
  const definition = synthesizedDefinition(workflowLogicalIdPrefix(workflowId));
  const visited: string[] = [];
  const payloads: Record<string, Record<string, unknown>> = {};
  const answers: Record<string, (payload: Record<string, unknown>) => unknown> = {
    [S.checkMembership]: () => (world.member ? { Item: { active: { BOOL: true } } } : {}),
    [S.recheckMembership]: () => ({ Item: { active: { BOOL: true } } }),
    [S.assignCoupon]: () => ({ status: "assigned", code: "GIFT-1", expiresAt: "2024-07-31T23:59:59Z" }),
    [S.sendCoupon]: () => ({ sent: true, outcome: "sent" }),
    [S.sendReminder]: () => ({ sent: true, outcome: "sent" }),
    [S.checkHeldOut]: () => ({ mailable: world.mailable ?? true }),
    [S.checkPurchases]: () => ({ purchased: world.purchased ?? false, orders: world.purchased ? 1 : 0, revenue: world.purchased ? 40 : 0 }),
    [S.checkPurchasesHeldOut]: () => ({ purchased: world.purchased ?? false, orders: world.purchased ? 1 : 0, revenue: world.purchased ? 40 : 0 }),
  };
  const tasks: Record<string, LocalTaskHandler> = {};
  for (const name of taskStateNames(definition)) {
    tasks[name] = async (payload) => {
      visited.push(name);
      payloads[name] = payload as Record<string, unknown>;
      return answers[name]?.(payload as Record<string, unknown>) ?? { outcome: (payload as { outcome?: string }).outcome };
    };
  }
  await runLocally(definition, { contactId: "c-1", enrolledAt: "2024-06-07T09:00:00.000Z", heldOut: world.heldOut }, { tasks, waits: { [S.wait]: 0, [S.waitHeldOut]: 0 } });
  return { visited, payloads };
}

const MAILING_STATES = [S.assignCoupon, S.sendCoupon, S.sendReminder];
const shipped = loadWorkflows();

describe("the shipped workflow files", () => {
  it("are the seed's Low CLV workflow, the demo's Low CLV for the store's scale and Win-Back, each with its own id", () => {
    // Act and assess
    expect(shipped.map((w) => [w.id, w.segmentId])).toEqual([
      ["low-clv-reactivation", "low-clv"],
      ["low-clv-relative-reactivation", "low-clv-relative"],
      ["win-back", "win-back"],
    ]);
    expect(new Set(shipped.map((w) => w.couponSetId)).size).toBe(3);
  });
});

describe.each(shipped.map((w) => [w.id, w] as const))("the state machine synthesized from workflows/%s.json", (_, workflow) => {
  const definition = synthesizedDefinition(workflowLogicalIdPrefix(workflow.id));

  it("waits the file's wait natively, on both paths, and reads its own segment's membership", () => {
    // Act and assess
    expect(definition.States[S.wait]).toMatchObject({ Type: "Wait", Seconds: workflow.waitSeconds });
    expect(definition.States[S.waitHeldOut]).toMatchObject({ Type: "Wait", Seconds: workflow.waitSeconds });
    expect(JSON.stringify(definition.States[S.checkMembership])).toContain(`SEGMENT#${workflow.segmentId}`);
  });

  it("mailed, bought within the wait: coupon from the file's set, the coupon e-mail, no reminder", async () => {
    // Act
    const { visited, payloads } = await walk(workflow.id, { member: true, heldOut: false, purchased: true });
    // Assess
    expect(visited).toEqual([S.checkMembership, S.assignCoupon, S.sendCoupon, S.checkPurchases, S.recheckMembership, S.recordPurchased]);
    expect(payloads[S.assignCoupon]).toMatchObject({ workflowId: workflow.id, couponSetId: workflow.couponSetId, contactId: "c-1" });
    expect(payloads[S.sendCoupon]).toMatchObject({ templateId: workflow.couponEmail, step: "coupon", coupon: { code: "GIFT-1" } });
    expect(payloads[S.checkPurchases]).toMatchObject({ windowDays: windowDays(workflow), group: "mailed" });
    expect(payloads[S.recordPurchased]).toMatchObject({ outcome: "purchased" });
  });

  it("mailed, no purchase: the reminder with the file's reminder e-mail", async () => {
    // Act
    const { visited, payloads } = await walk(workflow.id, { member: true, heldOut: false, purchased: false });
    // Assess
    expect(visited).toEqual([S.checkMembership, S.assignCoupon, S.sendCoupon, S.checkPurchases, S.recheckMembership, S.sendReminder]);
    expect(payloads[S.sendReminder]).toMatchObject({ templateId: workflow.reminderEmail, step: "reminder" });
  });

  it("held out: no coupon and no e-mail; checked as the send step would, waits as long, purchases measured as held out", async () => {
    // Act and assess
    for (const purchased of [true, false]) {
      const { visited, payloads } = await walk(workflow.id, { member: true, heldOut: true, purchased });
      expect(visited).toEqual([S.checkMembership, S.checkHeldOut, S.checkPurchasesHeldOut, S.recordHeldOut]);
      expect(payloads[S.checkPurchasesHeldOut]).toMatchObject({ workflowId: workflow.id, windowDays: windowDays(workflow), group: "held-out" });
      expect(payloads[S.recordHeldOut]).toMatchObject({ outcome: "held-out" });
    }
    const unsubscribed = await walk(workflow.id, { member: true, heldOut: true, mailable: false });
    expect(unsubscribed.visited).toEqual([S.checkMembership, S.checkHeldOut]);
  });

  it("the held-out path has no coupon or e-mail state at all", () => {
    // Prepare
    const reachable = new Set<string>();
    const visit = (name: string) => {
      if (reachable.has(name)) return;
      reachable.add(name);
      const state = definition.States[name] as { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };
      for (const next of [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)]) if (next) visit(next);
    };
    // Act
    const heldOutChoice = definition.States[S.isHeldOut] as unknown as { Choices: { Next: string }[]; Default: string };
    // Assess
    expect(heldOutChoice.Choices).toHaveLength(1);
    visit(heldOutChoice.Choices[0]!.Next);
    expect([...reachable]).toContain(S.checkPurchasesHeldOut);
    for (const state of MAILING_STATES) expect(reachable.has(state), state).toBe(false);
    expect(heldOutChoice.Default).toBe(S.assignCoupon);
  });

  it("a contact not in the segment is recorded and gets nothing, held out or not", async () => {
    // Act and assess
    for (const heldOut of [true, false]) expect((await walk(workflow.id, { member: false, heldOut })).visited).toEqual([S.checkMembership, S.notInSegment]);
  });
});
