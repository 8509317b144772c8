#!/usr/bin/env -S npx tsx
import { Command, InvalidArgumentError, Option } from "commander";
import { parseDate } from "../functions/domain/clv/order-history.js";
import { InvalidInputError } from "../functions/domain/input/row-errors.js";
import { runDemo } from "../functions/local/cli/demo-command.js";
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

program.parseAsync().catch((error: unknown) => {
  if (error instanceof InvalidInputError) console.error(error.message);
  else console.error(error instanceof Error ? `error: ${error.message}` : error);
  process.exitCode = 1;
});
