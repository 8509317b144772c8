import { InvalidArgumentError, type Command } from "commander";
import { endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

const currencyCode = (text: string): string => {
  const code = text.toUpperCase();
  try {
    new Intl.NumberFormat("en-GB", { style: "currency", currency: code });
  } catch {
    throw new InvalidArgumentError(`expected an ISO 4217 currency code such as GBP, got "${text}"`);
  }
  return code;
};

/** `clv report`: the store's report as one self-contained HTML page. */
export function registerReportCommand(program: Command): Command {
  return program
    .command("report")
    .description("write the store's report as one HTML page: the model run, its fit, the figures' distributions, RFM, segments and workflows")
    .option("--out <file>", "where to write the page", ".out/report.html")
    .addOption(endpointOption())
    .addOption(tableOption())
    .option("--store-name <name>", "the store's name, for the page's title")
    .option("--currency <code>", "ISO 4217 code of the order totals, e.g. GBP", currencyCode)
    .option("--workflows <dir>", "the directory of workflow files whose funnels and lift the page shows (default: the project's workflows/)", process.env.CLV_WORKFLOWS_DIR)
    .action(async (options: StoreOptions & { out: string; storeName?: string; currency?: string; workflows?: string }) => {
      const { reportWorkflowFunnels, writeReport } = await import("../../functions/local/cli/report-command.js");
      await withStore(options, async (local) => {
        const { path, bytes } = await writeReport(local.store, options.out, {
          ...(options.storeName && { storeName: options.storeName }),
          ...(options.currency && { currency: options.currency }),
          workflowFunnels: () => reportWorkflowFunnels(local.store, options.workflows),
        });
        console.log(`Report written to ${path} (${Math.round(bytes / 1024)} KB); open it in a browser, it needs no network.`);
      });
    });
}
