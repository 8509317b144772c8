#!/usr/bin/env -S npx tsx
import "./quiet-sdk-warning.js";
import { randomBytes } from "node:crypto";
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { parseDate } from "../functions/domain/clv/order-history.js";
import { InvalidInputError } from "../functions/domain/input/row-errors.js";
import { hashApiKey } from "../functions/domain/store/api-keys.js";
import { signUnsubscribeToken } from "../functions/domain/store/unsubscribe-token.js";
import { importContacts, importOrders } from "../functions/adapters/csv/import-csv.js";
import { startLocalApi } from "../functions/local/http-server.js";
import { openLocalStore, type LocalStore } from "../functions/local/local-store.js";
import { createSegment, exportSegment, listSegments, showSegment } from "../functions/local/cli/segment-commands.js";
import { runNightlyLocally } from "../functions/local/local-nightly.js";
import { segmentTemplates } from "../functions/domain/segments/segment-templates.js";
import { runDemo } from "../functions/local/cli/demo-command.js";
import { registerCouponCommands } from "../functions/local/cli/coupon-commands.js";
import { registerReportCommand } from "../functions/local/cli/report-command.js";
import { CouponStore } from "../functions/adapters/dynamodb/coupon-store.js";
import { demoWorkflow, funnelOf, funnelReport, localWorkflowRunner } from "../functions/local/cli/demo-workflow.js";
import { lowClvReactivation } from "../functions/domain/workflows/workflow-definition.js";
import { enrolSegmentMembers } from "../functions/domain/workflows/enrol-members.js";
import { fitSummaryFile, fittableModels, type FittableModel } from "../functions/local/cli/fit-command.js";
import { modelRunText } from "../functions/local/cli/model-run-text.js";
import { rowErrorLines, scoreOrdersFile, writeScoresCsv } from "../functions/local/cli/score-command.js";

const asOfDate = (text: string): number => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !Number.isFinite(parseDate(text))) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${text}"`);
  return parseDate(text);
};

const program = new Command("clv")
  .description("Customer lifetime value, churn risk and RFM for an online store, from its orders.")
  .showHelpAfterError();

program
  .command("fit")
  .description("fit one model on a summary CSV (customer_id,frequency,recency,T[,monetary_value]) and print its parameters")
  .requiredOption("--summary <file>", "summary CSV, in any one time unit")
  .addOption(new Option("--model <model>", "model to fit").choices(fittableModels).makeOptionMandatory())
  .option("--json", "print one JSON object")
  .option("--strict", "stop at the first bad row")
  .action(async (options: { summary: string; model: FittableModel; json?: boolean; strict?: boolean }) => {
    const { fit, errors } = await fitSummaryFile(options.summary, options.model, { strict: options.strict ?? false });
    for (const line of rowErrorLines(errors)) console.error(line);
    const { model, params, logLikelihood, customers, converged, iterations, standardErrors } = fit;
    if (options.json) console.log(JSON.stringify({ model, params, logLikelihood, customers, converged, iterations, standardErrors }));
    else {
      console.log(`${model} on ${customers} customers: log-likelihood ${logLikelihood.toFixed(4)}, ${iterations} iterations`);
      for (const [name, value] of Object.entries(params)) console.log(`  ${name.padEnd(6)} ${value.toFixed(6)}  (s.e. ${standardErrors[name]?.toFixed(6)})`);
    }
  });

program
  .command("score")
  .description("score every contact of an orders CSV (order_id,customer_id,created_at,total) as of a date")
  .requiredOption("--orders <file>", "orders CSV")
  .requiredOption("--as-of <date>", "the night to score, YYYY-MM-DD; later orders are ignored", asOfDate)
  .requiredOption("--out <file>", "where to write one row per contact")
  .option("--strict", "stop at the first bad row")
  .option("--json", "print the model run as JSON")
  .action(async (options: { orders: string; asOf: number; out: string; strict?: boolean; json?: boolean }) => {
    const result = await scoreOrdersFile(options.orders, options.asOf, { strict: options.strict ?? false, progress: true });
    for (const line of rowErrorLines(result.errors)) console.error(line);
    writeScoresCsv(options.out, result.scores);
    if (options.json) console.log(JSON.stringify(result.run));
    else {
      for (const line of modelRunText(result.run)) console.log(line);
      console.log(`Wrote ${result.scores.length} contacts to ${options.out}${result.errors.length ? ` (${result.errors.length} bad rows skipped)` : ""}`);
    }
  });

program
  .command("demo")
  .description("score the demo store (Online Retail) and print what its marketer wants to read")
  .option("--out <file>", "where to write every contact's figures", ".out/online-retail-scores.csv")
  .action(async (options: { out: string }) => {
    await runDemo(options.out);
  });

program
  .command("import")
  .description("import a contacts or orders CSV into the store's table (start `npm run serve` first, or give --endpoint)")
  .addArgument(new Argument("<kind>", "what the file holds").choices(["contacts", "orders"]))
  .argument("<file>", "the CSV file")
  .option("--endpoint <url>", "the DynamoDB endpoint", process.env.DYNAMODB_ENDPOINT ?? "http://127.0.0.1:8000")
  .option("--table <name>", "the table", process.env.TABLE_NAME ?? "clv-store")
  .action(async (kind: "contacts" | "orders", file: string, options: { endpoint: string; table: string }) => {
    const local = await openLocalStore({ endpoint: options.endpoint, tableName: options.table });
    try {
      const started = performance.now();
      const report = kind === "orders" ? await importOrders(local.store, file, { progress: true }) : await importContacts(local.store, file, { progress: true });
      for (const line of rowErrorLines(report.errors, 50)) console.error(line);
      for (const note of report.notes) console.log(note);
      console.log(
        `${file}: ${report.rows} rows, ${report.imported} imported, ${report.duplicates} already there, ${report.removed} removed, ${report.rejected} rejected (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
      if (report.rejected > 0) process.exitCode = 2;
    } finally {
      await local.close();
    }
  });

const endpointOption = new Option("--endpoint <url>", "the DynamoDB endpoint (`npm run serve` keeps one up)").default(process.env.DYNAMODB_ENDPOINT ?? "http://127.0.0.1:8000");
const tableOption = new Option("--table <name>", "the table").default(process.env.TABLE_NAME ?? "clv-store");
async function withStore(options: { endpoint: string; table: string }, use: (local: LocalStore) => Promise<void>): Promise<void> {
  const local = await openLocalStore({ endpoint: options.endpoint, tableName: options.table });
  try {
    await use(local);
  } finally {
    await local.close();
  }
}

program
  .command("nightly")
  .description("the nightly job against the store's table: score every contact, write changed scores, recompute segments")
  .option("--as-of <date>", "the night to score, YYYY-MM-DD (default: now)", asOfDate)
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((options: { asOf?: number; endpoint: string; table: string }) =>
    withStore(options, async ({ store }) => {
      if ((await store.listSegmentDefinitions()).length === 0) for (const definition of segmentTemplates) await store.putSegmentDefinition(definition);
      const night = await runNightlyLocally(store, options.asOf ?? Date.now());
      const plan = await store.getNightlyPlan(night.plan.runId);
      for (const line of modelRunText(plan!.run)) console.log(line);
      console.log(`Scored ${night.summary.contacts} contacts, wrote ${night.summary.scoresWritten} changed scores.`);
      for (const s of night.summary.segments) console.log(`  ${s.id}: ${s.analytics.size} members (+${s.entered}, −${s.left})`);
    }),
  );

program
  .command("segments")
  .description("list the store's segments and their sizes")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((options: { endpoint: string; table: string }) => withStore(options, async ({ store }) => console.log((await listSegments(store)).join("\n"))));

const segment = program.command("segment").description("show or create a segment");
segment
  .command("show")
  .argument("<id>", "the segment's id")
  .description("a segment's definition and analytics, as JSON")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((id: string, options: { endpoint: string; table: string }) => withStore(options, async ({ store }) => console.log(await showSegment(store, id))));
segment
  .command("create")
  .argument("<file>", "a segment definition as JSON (see functions/domain/segments/segment-templates.ts)")
  .description("create or replace a segment")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((file: string, options: { endpoint: string; table: string }) =>
    withStore(options, async ({ store }) => console.log(`segment ${(await createSegment(store, file)).id} saved; the next nightly run fills it`)),
  );

program
  .command("export")
  .argument("<id>", "the segment's id")
  .argument("<file>", "where to write the CSV")
  .description("export a segment's members with e-mail and every figure as CSV")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((id: string, file: string, options: { endpoint: string; table: string }) =>
    withStore(options, async ({ store }) => console.log(`${await exportSegment(store, id, file)} members written to ${file}`)),
  );

program
  .command("serve")
  .description("keep DynamoDB (dynalite) and the HTTP API up on localhost, for trying the API with curl")
  .option("--port <port>", "the HTTP API's port", "3000")
  .option("--dynamo-port <port>", "dynalite's port", "8000")
  .action(async (options: { port: string; dynamoPort: string }) => {
    const local = await openLocalStore({ port: Number(options.dynamoPort) });
    const apiKey = process.env.CLV_API_KEY ?? `local-${randomBytes(12).toString("hex")}`;
    const secret = process.env.CLV_UNSUBSCRIBE_SECRET ?? randomBytes(24).toString("hex");
    const server = await startLocalApi(
      { store: local.store, coupons: new CouponStore(local.client, local.tableName), clock: Date.now, unsubscribeSecret: async () => secret, apiKeyHashes: [hashApiKey(apiKey)] },
      Number(options.port),
    );
    const api = `http://127.0.0.1:${options.port}`;
    console.log(`DynamoDB (dynalite): ${local.endpoint}, table ${local.tableName}`);
    console.log(`HTTP API:            ${api}`);
    console.log(`API key:             ${apiKey}`);
    console.log(`Unsubscribe link for contact c-1: ${api}/unsubscribe?token=${signUnsubscribeToken("c-1", Date.now(), secret)}`);
    console.log("Try it (see README.md):");
    console.log(`  curl -X PUT ${api}/contacts/c-1 -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' -d '{"email":"ann@example.com","subscription":"subscribed","consentAt":"2024-05-01T09:00:00Z"}'`);
    console.log("Ctrl-C stops both.");
    const stop = async () => {
      server.close();
      await local.close();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

program
  .command("api-key")
  .description("make a new API key and print it with the SHA-256 hash to deploy (cdk deploy -c apiKeyHashes=HASH)")
  .action(() => {
    const key = randomBytes(24).toString("base64url");
    console.log(`API key (give it to the store's platform; it is not stored anywhere): ${key}`);
    console.log(`Its hash (deploy this):                                             ${hashApiKey(key)}`);
  });

const knownWorkflows = [lowClvReactivation, demoWorkflow];
const workflowArgument = new Argument("<id>", "the workflow's id").choices(knownWorkflows.map((w) => w.id));
const workflowById = (id: string) => knownWorkflows.find((w) => w.id === id)!;
const workflows = program.command("workflows").description("the reactivation workflows: list, run locally, status");
workflows
  .command("list")
  .description("each workflow with its audience, coupon stock and funnel")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((options: { endpoint: string; table: string }) =>
    withStore(options, async (local) => {
      const coupons = new CouponStore(local.client, local.tableName);
      for (const w of knownWorkflows) {
        const stock = await coupons.couponStock(w.couponSetId);
        const f = await funnelOf(local.store, w);
        console.log(
          `${w.id.padEnd(28)} segment ${w.segmentId}, coupons ${w.couponSetId} (${stock ? `${stock.stock} left${stock.low ? ", LOW" : ""}` : "no such set"}), wait ${w.waitDays} days: ${f.enrolled} enrolled, ${f.emailsSent} mailed, ${f.purchasedInWindow} bought, ${f.reminded} reminded`,
        );
      }
    }),
  );
workflows
  .command("run")
  .addArgument(workflowArgument)
  .description("enrol the segment's current members now and run their executions locally (the synthesized state machine, mail to a local SES)")
  .option("--as-of <date>", "the day the executions start, YYYY-MM-DD (default: now)", asOfDate)
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((id: string, options: { asOf?: number; endpoint: string; table: string }) =>
    withStore(options, async (local) => {
      const workflow = workflowById(id);
      const now = options.asOf ?? Date.now();
      const { runner, mail } = await localWorkflowRunner(local, [workflow], now);
      try {
        const [enrolment] = await enrolSegmentMembers({ workflows: [workflow], enrolments: local.store, starter: runner, members: local.store }, now);
        const executions = await runner.settled();
        console.log(`${enrolment?.enrolled ?? 0} enrolled now (${enrolment?.skipped ?? 0} enrolled before); ${executions.filter((e) => e.status === "failed").length} executions failed`);
        for (const line of funnelReport(await funnelOf(local.store, workflow), (await mail.listMail()).length, (n) => n.toFixed(2))) console.log(line);
      } finally {
        await mail.stop();
      }
    }),
  );
workflows
  .command("status")
  .addArgument(workflowArgument)
  .description("a workflow's funnel and how its enrolments ended, as JSON")
  .addOption(endpointOption)
  .addOption(tableOption)
  .action((id: string, options: { endpoint: string; table: string }) =>
    withStore(options, async (local) => {
      const workflow = workflowById(id);
      const outcomes: Record<string, number> = {};
      for await (const page of local.store.listEnrolments(workflow.id)) for (const e of page) outcomes[e.outcome ?? "running"] = (outcomes[e.outcome ?? "running"] ?? 0) + 1;
      console.log(JSON.stringify({ workflow, funnel: await funnelOf(local.store, workflow), outcomes }, null, 2));
    }),
  );

registerCouponCommands(program);
registerReportCommand(program);

program.parseAsync().catch((error: unknown) => {
  if (error instanceof InvalidInputError) console.error(error.message);
  else console.error(error instanceof Error ? `error: ${error.message}` : error);
  process.exitCode = 1;
});
