import { Argument, type Command } from "commander";
import { delimiterOption, encodingOption, storeCurrencyOption } from "./store-data-options.js";
import { endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

/** `clv import contacts|orders FILE`: a CSV into the store's table. */
export function registerImportCommand(program: Command): Command {
  return program
    .command("import")
    .description("import a contacts or orders CSV into the store's table (start `npm run serve` first, or give --endpoint)")
    .addArgument(new Argument("<kind>", "what the file holds").choices(["contacts", "orders"]))
    .argument("<file>", "the CSV file")
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(storeCurrencyOption())
    .addOption(encodingOption())
    .addOption(delimiterOption())
    .action((kind: "contacts" | "orders", file: string, options: StoreOptions & { currency: string; encoding: "utf-8" | "windows-1252" | "latin1"; delimiter: string }) =>
      withStore(options, async (local) => {
        const [{ importContacts, importOrders }, { rowErrorLines }] = await Promise.all([
          import("../../functions/adapters/csv/import-csv.js"),
          import("../../functions/local/cli/score-command.js"),
        ]);
        const started = performance.now();
        const reading = { progress: true, encoding: options.encoding, delimiter: options.delimiter };
        const report = kind === "orders" ? await importOrders(local.store, file, { ...reading, storeCurrency: options.currency }) : await importContacts(local.store, file, reading);
        if (report.refused) {
          console.error(`${file}: refused: ${report.refused}`);
          process.exitCode = 2;
          return;
        }
        for (const line of rowErrorLines(report.errors, 50)) console.error(line);
        for (const note of report.notes) console.log(note);
        console.log(
          `${file}: ${report.rows} rows, ${report.imported} imported, ${report.duplicates} already there, ${report.removed} removed, ${report.rejected} rejected (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        );
        if (report.rejected > 0) process.exitCode = 2;
      }),
    );
}
