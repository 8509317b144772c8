import { progress } from "./progress.js";
import { CouponStore } from "../../adapters/dynamodb/coupon-store.js";
import { emailTemplateNames } from "../../adapters/files/email-files.js";
import { builtInSegmentIds, loadWorkflows, readWorkflowFiles } from "../../adapters/files/workflow-files.js";
import { parseWorkflowFiles } from "../../domain/workflows/workflow-file.js";
import { enrolSegmentMembers } from "../../domain/workflows/enrol-members.js";
import { waitText, type WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import { workflowStatusOf } from "../../domain/workflows/workflow-status.js";
import type { LocalStore } from "../local-store.js";
import { saveMailbox } from "../local-mailbox.js";
import { funnelOf, funnelReport, localWorkflowRunner } from "./demo-workflow.js";

/** What the store's table knows that workflow files may name: its segment definitions and coupon sets. */
export async function storeCatalogue(local: LocalStore): Promise<{ segments: string[]; couponSets: string[] }> {
  const segments = (await local.store.listSegmentDefinitions()).map((s) => s.id);
  const couponSets = (await new CouponStore(local.client, local.tableName).listCouponSets()).map((s) => s.setId);
  return { segments, couponSets };
}

/** The workflow files checked against the table: segments (built-in or defined there) and coupon sets. */
export async function workflowsOfStore(local: LocalStore, dir: string): Promise<WorkflowDefinition[]> {
  const { segments, couponSets } = await storeCatalogue(local);
  return loadWorkflows({ dir, extraSegments: segments, couponSets });
}

/**
 * One workflow to run against the table: every file must parse and name known segments and e-mails;
 * this one's coupon set must also be in the table (the others' need not be, to run this one).
 */
export async function runnableWorkflow(local: LocalStore, dir: string, id: string): Promise<WorkflowDefinition> {
  const { segments, couponSets } = await storeCatalogue(local);
  const workflow = workflowById(loadWorkflows({ dir, extraSegments: segments }), id);
  const own = readWorkflowFiles(dir).filter((f) => (JSON.parse(f.text) as { id?: unknown }).id === id);
  parseWorkflowFiles(own, { templates: new Set(emailTemplateNames()), segments: new Set([...builtInSegmentIds, ...segments]), couponSets: new Set(couponSets) });
  return workflow;
}

/** The workflow files checked against the built-in segments and those the table defines (not its coupon sets). */
export async function storeWorkflows(store: LocalStore["store"], dir: string): Promise<WorkflowDefinition[]> {
  return loadWorkflows({ dir, extraSegments: (await store.listSegmentDefinitions()).map((s) => s.id) });
}

function workflowById(workflows: readonly WorkflowDefinition[], id: string): WorkflowDefinition {
  const workflow = workflows.find((w) => w.id === id);
  if (!workflow) throw new Error(`no workflow "${id}"; the workflow files define: ${workflows.map((w) => w.id).join(", ") || "none"}`);
  return workflow;
}

/** `clv workflows validate`: every file against the table (or, offline, as `cdk synth` checks them); the lines to print. */
export async function validateWorkflowFiles(options: { dir: string; offline?: boolean; segments?: readonly string[]; local?: LocalStore }): Promise<string[]> {
  const lines = (found: readonly WorkflowDefinition[], against: string) => [
    ...found.map((w) => `${w.id.padEnd(32)} ${w.name} — segment ${w.segmentId}, coupons ${w.couponSetId}, wait ${waitText(w)}, ${Math.round(w.holdOutShare * 100)} % held out`),
    `${found.length} workflows valid (${against})`,
  ];
  if (options.offline || !options.local) {
    const extra = options.segments ?? [];
    return lines(loadWorkflows({ dir: options.dir, extraSegments: extra }), `segments: ${[...builtInSegmentIds, ...extra].join(", ")}; coupon sets not checked`);
  }
  return lines(await workflowsOfStore(options.local, options.dir), `against table ${options.local.tableName}: its segments and coupon sets`);
}

/** `clv workflows list`: each workflow once, with its segment, coupon stock, funnel and lift. */
export async function listWorkflows(local: LocalStore, dir: string): Promise<string[]> {
  const coupons = new CouponStore(local.client, local.tableName);
  const lines: string[] = [];
  for (const w of await storeWorkflows(local.store, dir)) {
    const stock = await coupons.couponStock(w.couponSetId);
    const f = await funnelOf(local.store, w);
    const lift = f.lift.conversionDifference;
    lines.push(
      `${w.id.padEnd(32)} segment ${w.segmentId}, coupons ${w.couponSetId} (${stock ? `${stock.stock} left${stock.low ? ", LOW" : ""}` : "no such set"}), wait ${waitText(w)}, ${Math.round(w.holdOutShare * 100)} % held out: ${f.enrolled} enrolled, ${f.heldOut} held out, ${f.emailsSent} mailed, ${f.purchasedInWindow} bought, ${f.reminded} reminded${lift ? `; lift ${(100 * lift.estimate).toFixed(1)} pts (95 % CI ${(100 * lift.low).toFixed(1)} to ${(100 * lift.high).toFixed(1)})` : ""}`,
    );
  }
  return lines;
}

/** `clv workflows run`: enrols the segment's members now and runs their executions locally. */
export async function runWorkflow(local: LocalStore, dir: string, id: string, now: number): Promise<string[]> {
  const workflow = await runnableWorkflow(local, dir, id);
  // Executions ended of those started so far: enrolment starts them as it goes.
  const bar = progress("running executions", "executions");
  let ended = 0;
  const { runner, mail } = await localWorkflowRunner(local, [workflow], now, undefined, () => bar.update(++ended, runner.started));
  try {
    const {
      enrolments: [enrolment],
    } = await enrolSegmentMembers({ workflows: [workflow], enrolments: local.store, starter: runner, members: local.store }, now);
    const executions = await runner.settled().finally(() => bar.stop());
    const sent = await mail.listMail();
    const box = saveMailbox(sent);
    return [
      `${enrolment?.enrolled ?? 0} enrolled now (${enrolment?.skipped ?? 0} enrolled before); ${executions.filter((e) => e.status === "failed").length} executions failed`,
      ...funnelReport(await funnelOf(local.store, workflow), sent.length, (n) => n.toFixed(2)),
      `The mail it sent, with every mail of earlier local runs (${box.total}): ${box.index}`,
    ];
  } finally {
    await mail.stop();
  }
}

/** `clv workflows status`: the funnel with its lift and how the enrolments ended, as JSON (or the text lines). */
export async function workflowStatus(local: LocalStore, dir: string, id: string, options: { text?: boolean } = {}): Promise<string[]> {
  const workflow = workflowById(await storeWorkflows(local.store, dir), id);
  const status = await workflowStatusOf(workflow, local.store.listEnrolments(workflow.id));
  if (options.text) return funnelReport(status.funnel, undefined, (n) => n.toFixed(2));
  return [JSON.stringify(status, null, 2)];
}
