import type { Command } from "commander";
import { asOfDate, endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

/** `clv nightly`: the nightly job against the store's table. */
export function registerNightlyCommand(program: Command): Command {
  return program
    .command("nightly")
    .description("the nightly job against the store's table: score every contact, write changed scores, recompute segments")
    .option("--as-of <date>", "the night to score, YYYY-MM-DD (default: now)", asOfDate)
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((options: StoreOptions & { asOf?: number }) =>
      withStore(options, async ({ store }) => {
        const [{ segmentTemplates }, { runNightlyLocally }, { modelRunText }, { nightlyProgress }] = await Promise.all([
          import("../../functions/domain/segments/segment-templates.js"),
          import("../../functions/local/local-nightly.js"),
          import("../../functions/local/cli/model-run-text.js"),
          import("../../functions/local/cli/progress.js"),
        ]);
        if ((await store.listSegmentDefinitions()).length === 0) for (const definition of segmentTemplates) await store.putSegmentDefinition(definition);
        const progress = nightlyProgress();
        const night = await runNightlyLocally(store, options.asOf ?? Date.now(), { progress }).finally(() => progress.stop());
        const plan = await store.getNightlyPlan(night.plan.runId);
        for (const line of modelRunText(plan!.run)) console.log(line);
        console.log(`Scored ${night.summary.contacts} contacts, wrote ${night.summary.scoresWritten} changed scores.`);
        for (const s of night.summary.segments) console.log(`  ${s.id}: ${s.analytics.size} members (+${s.entered}, −${s.left})`);
      }),
    );
}
