import type { Command } from "commander";
import { endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";
import { storeCurrencyOption } from "./store-data-options.js";

const segmentCommands = () => import("../../functions/local/cli/segment-commands.js");

/** `clv segments`, `clv segment show|create` and `clv export`. */
export function registerSegmentCommands(program: Command): Command {
  program
    .command("segments")
    .description("list the store's segments and their sizes")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((options: StoreOptions) => withStore(options, async ({ store }) => console.log((await (await segmentCommands()).listSegments(store)).join("\n"))));

  const segment = program.command("segment").description("show or create a segment");
  segment
    .command("show")
    .argument("<id>", "the segment's id")
    .description("a segment's definition and analytics, as JSON")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((id: string, options: StoreOptions) => withStore(options, async ({ store }) => console.log(await (await segmentCommands()).showSegment(store, id))));
  segment
    .command("create")
    .argument("<file>", "a segment definition as JSON (see functions/domain/segments/segment-templates.ts)")
    .description("create or replace a segment")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((file: string, options: StoreOptions) =>
      withStore(options, async ({ store }) => console.log(`segment ${(await (await segmentCommands()).createSegment(store, file)).id} saved; the next nightly run fills it`)),
    );

  return program
    .command("export")
    .argument("<id>", "the segment's id")
    .argument("<file>", "where to write the CSV")
    .description("export a segment's members with e-mail, subscription (status, consentAt, optedOutAt) and every figure as CSV")
    .option("--mailable", "only members that may be mailed now: subscribed, with an address, no opt-out, bounce or complaint since their consent")
    .addOption(storeCurrencyOption())
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((id: string, file: string, options: StoreOptions & { mailable?: boolean; currency: string }) =>
      withStore(options, async ({ store }) => {
        const mailable = options.mailable ?? false;
        const written = await (await segmentCommands()).exportSegment(store, id, file, { mailable, currency: options.currency });
        console.log(`${written} ${mailable ? "mailable " : ""}members written to ${file}`);
      }),
    );
}
