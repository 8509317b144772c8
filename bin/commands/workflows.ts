import type { Command } from "commander";
import { asOfDate, endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

/** The workflows this store runs, loaded when a workflows command runs (they bring their e-mail templates). */
async function knownWorkflows() {
  const [{ lowClvReactivation }, demo] = await Promise.all([import("../../functions/domain/workflows/workflow-definition.js"), import("../../functions/local/cli/demo-workflow.js")]);
  return { workflows: [lowClvReactivation, demo.demoWorkflow], demo };
}

async function workflowById(id: string) {
  const { workflows, demo } = await knownWorkflows();
  const workflow = workflows.find((w) => w.id === id);
  if (!workflow) throw new Error(`there is no workflow "${id}"; the workflows are ${workflows.map((w) => w.id).join(", ")}`);
  return { workflow, demo };
}

/** `clv workflows list|run|status`. */
export function registerWorkflowCommands(program: Command): Command {
  const workflows = program.command("workflows").description("the reactivation workflows: list, run locally, status");
  workflows
    .command("list")
    .description("each workflow with its audience, coupon stock and funnel")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((options: StoreOptions) =>
      withStore(options, async (local) => {
        const [{ workflows: known, demo }, { CouponStore }] = await Promise.all([knownWorkflows(), import("../../functions/adapters/dynamodb/coupon-store.js")]);
        const coupons = new CouponStore(local.client, local.tableName);
        for (const w of known) {
          const stock = await coupons.couponStock(w.couponSetId);
          const f = await demo.funnelOf(local.store, w);
          console.log(
            `${w.id.padEnd(28)} segment ${w.segmentId}, coupons ${w.couponSetId} (${stock ? `${stock.stock} left${stock.low ? ", LOW" : ""}` : "no such set"}), wait ${w.waitDays} days: ${f.enrolled} enrolled, ${f.emailsSent} mailed, ${f.purchasedInWindow} bought, ${f.reminded} reminded`,
          );
        }
      }),
    );
  workflows
    .command("run")
    .argument("<id>", "the workflow's id")
    .description("enrol the segment's current members now and run their executions locally (the synthesized state machine, mail to a local SES)")
    .option("--as-of <date>", "the day the executions start, YYYY-MM-DD (default: now)", asOfDate)
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (id: string, options: StoreOptions & { asOf?: number }) => {
      const [{ workflow, demo }, { enrolSegmentMembers }] = await Promise.all([workflowById(id), import("../../functions/domain/workflows/enrol-members.js")]);
      await withStore(options, async (local) => {
        const now = options.asOf ?? Date.now();
        const { runner, mail } = await demo.localWorkflowRunner(local, [workflow], now);
        try {
          const [enrolment] = await enrolSegmentMembers({ workflows: [workflow], enrolments: local.store, starter: runner, members: local.store }, now);
          const executions = await runner.settled();
          console.log(`${enrolment?.enrolled ?? 0} enrolled now (${enrolment?.skipped ?? 0} enrolled before); ${executions.filter((e) => e.status === "failed").length} executions failed`);
          for (const line of demo.funnelReport(await demo.funnelOf(local.store, workflow), (await mail.listMail()).length, (n) => n.toFixed(2))) console.log(line);
        } finally {
          await mail.stop();
        }
      });
    });
  workflows
    .command("status")
    .argument("<id>", "the workflow's id")
    .description("a workflow's funnel and how its enrolments ended, as JSON")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (id: string, options: StoreOptions) => {
      const { workflow, demo } = await workflowById(id);
      await withStore(options, async (local) => {
        const outcomes: Record<string, number> = {};
        for await (const page of local.store.listEnrolments(workflow.id)) for (const e of page) outcomes[e.outcome ?? "running"] = (outcomes[e.outcome ?? "running"] ?? 0) + 1;
        console.log(JSON.stringify({ workflow, funnel: await demo.funnelOf(local.store, workflow), outcomes }, null, 2));
      });
    });
  return workflows;
}
