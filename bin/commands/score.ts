import type { Command, Option } from "commander";
import { asOfDate } from "./store-options.js";
import { delimiterOption } from "./store-data-options.js";
import { storeCurrencyOption } from "./store-data-options.js";

/** `clv score`: every contact of an orders CSV. Loads the models and the CSV reader only, never the AWS SDK. */
export function registerScoreCommand(program: Command): Command {
  return program
    .command("score")
    .description("score every contact of an orders CSV (order_id,customer_id,created_at,total[,currency,exchange_rate,total_in_store_currency,status,refunded_amount]) as of a date")
    .requiredOption("--orders <file>", "orders CSV")
    .requiredOption("--as-of <date>", "the night to score, YYYY-MM-DD; later orders are ignored", asOfDate)
    .requiredOption("--out <file>", "where to write one row per contact")
    .option("--strict", "stop at the first bad row")
    .addOption(delimiterOption())
    .addOption(scoreCurrencyOption())
    .option("--json", "print the model run as JSON")
    .action(async (options: { orders: string; asOf: number; out: string; strict?: boolean; json?: boolean; delimiter: string; currency?: string }) => {
      const [{ scoreOrdersFile, writeScoresCsv, rowErrorLines, notCountedLine }, { modelRunText }] = await Promise.all([
        import("../../functions/local/cli/score-command.js"),
        import("../../functions/local/cli/model-run-text.js"),
      ]);
      const result = await scoreOrdersFile(options.orders, options.asOf, { strict: options.strict ?? false, progress: true, delimiter: options.delimiter, ...(options.currency && { currency: options.currency }) });
      for (const line of rowErrorLines(result.errors)) console.error(line);
      writeScoresCsv(options.out, result.scores, result.currency);
      if (options.json) console.log(JSON.stringify(result.run));
      else {
        for (const line of modelRunText(result.run)) console.log(line);
        if (result.currencyFromFile) console.log(`Amounts in ${result.currency}, the currency of the file's orders (give --currency to score in another)`);
        const notCounted = notCountedLine(result.notCounted, result.currency);
        if (notCounted) console.log(notCounted);
        console.log(`Wrote ${result.scores.length} contacts to ${options.out}${result.errors.length ? ` (${result.errors.length} bad rows skipped)` : ""}`);
      }
    });
}

/** `--currency` for `clv score`: given (or STORE_CURRENCY), else the file's own, so a file in pounds is scored in pounds. */
function scoreCurrencyOption(): Option {
  const option = storeCurrencyOption().default(process.env.STORE_CURRENCY?.toUpperCase());
  option.description = "the currency of the scores, ISO 4217; rows in another need exchange_rate or total_in_store_currency (default: the file's, from its currency column; EUR without one)";
  return option;
}
