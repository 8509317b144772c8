import { Option, type Command } from "commander";
import { asOfDate, endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

type WorkflowOptions = StoreOptions & { workflows?: string };

/** `--workflows`: the directory of workflow files, `CLV_WORKFLOWS_DIR` or the project's `workflows/`. */
const workflowsOption = () => new Option("--workflows <dir>", "the directory of workflow files (default: the project's workflows/)").default(process.env.CLV_WORKFLOWS_DIR);

/** The action's module and the directory, loaded when a workflows command runs. */
async function commands(options: { workflows?: string }) {
  const [actions, { WORKFLOWS_DIR }] = await Promise.all([import("../../functions/local/cli/workflow-commands.js"), import("../../functions/adapters/files/workflow-files.js")]);
  return { ...actions, dir: options.workflows ?? WORKFLOWS_DIR };
}

const print = (lines: readonly string[]) => {
  for (const line of lines) console.log(line);
};

/** `clv workflows validate|list|run|status`: the workflow files of `workflows/`, run locally against a table. */
export function registerWorkflowCommands(program: Command): Command {
  const workflows = program.command("workflows").description("the reactivation workflows of workflows/*.json: validate, list, run locally, status");
  workflows
    .command("validate")
    .description("check every workflow file: fields, e-mail templates, and the table's segments and coupon sets (or, with --offline, the built-in segments, as cdk synth does)")
    .option("--offline", "check without a table: segments must be built-in templates or given with --segments; coupon sets are not checked")
    .option("--segments <ids>", "with --offline: ids of segments defined in the table, comma-separated (as `cdk deploy -c segments=…`)", "")
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(workflowsOption())
    .action(async (options: WorkflowOptions & { offline?: boolean; segments: string }) => {
      const { validateWorkflowFiles, dir } = await commands(options);
      const segments = options.segments.split(",").map((s) => s.trim()).filter(Boolean);
      if (options.offline) print(await validateWorkflowFiles({ dir, offline: true, segments }));
      else await withStore(options, async (local) => print(await validateWorkflowFiles({ dir, local })));
    });
  workflows
    .command("list")
    .description("each workflow once, with its audience, coupon stock, funnel and lift")
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(workflowsOption())
    .action(async (options: WorkflowOptions) => {
      const { listWorkflows, dir } = await commands(options);
      await withStore(options, async (local) => print(await listWorkflows(local, dir)));
    });
  workflows
    .command("run")
    .argument("<id>", 'the workflow\'s id (its file\'s "id")')
    .description("enrol the segment's current members now and run their executions locally (the synthesized state machine, mail to a local SES)")
    .option("--as-of <date>", "the day the executions start, YYYY-MM-DD (default: now)", asOfDate)
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(workflowsOption())
    .action(async (id: string, options: WorkflowOptions & { asOf?: number }) => {
      const { runWorkflow, dir } = await commands(options);
      await withStore(options, async (local) => print(await runWorkflow(local, dir, id, options.asOf ?? Date.now())));
    });
  workflows
    .command("status")
    .argument("<id>", 'the workflow\'s id (its file\'s "id")')
    .description("a workflow's funnel, its lift (mailed against held out, 95 % intervals) and how its enrolments ended, as JSON")
    .option("--text", "the funnel and lift as text instead")
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(workflowsOption())
    .action(async (id: string, options: WorkflowOptions & { text?: boolean }) => {
      const { workflowStatus, dir } = await commands(options);
      await withStore(options, async (local) => print(await workflowStatus(local, dir, id, options)));
    });
  return workflows;
}
