import { Option, type Command } from "commander";
import type { FittableModel } from "../../functions/local/cli/fit-command.js";
import { delimiterOption } from "./store-data-options.js";

/** The models `clv fit` knows, spelled out here so that `--help` loads none of them. */
export const fittableModels = ["bg-nbd", "mbg-nbd", "pareto-nbd", "mbg-cnbd-k", "pareto-ggg", "gamma-gamma"] as const satisfies readonly FittableModel[];

/** `clv fit`: one model on a summary CSV. Loads the models and the CSV reader only, never the AWS SDK. */
export function registerFitCommand(program: Command): Command {
  return program
    .command("fit")
    .description("fit one model on a summary CSV (customer_id,frequency,recency,T[,monetary_value][,litt]; mbg-cnbd-k and pareto-ggg need litt) and print its parameters")
    .requiredOption("--summary <file>", "summary CSV, in any one time unit")
    .addOption(new Option("--model <model>", "model to fit").choices(fittableModels).makeOptionMandatory())
    .option("--json", "print one JSON object")
    .option("--strict", "stop at the first bad row")
    .addOption(delimiterOption())
    .action(async (options: { summary: string; model: FittableModel; json?: boolean; strict?: boolean; delimiter: string }) => {
      const [{ fitSummaryFile, fitParetoGggFile }, { rowErrorLines }] = await Promise.all([import("../../functions/local/cli/fit-command.js"), import("../../functions/local/cli/read-rows.js")]);
      if (options.model === "pareto-ggg") {
        const { fit, errors } = await fitParetoGggFile(options.summary, { strict: options.strict ?? false, delimiter: options.delimiter });
        for (const line of rowErrorLines(errors)) console.error(line);
        const { model, params, intervals, rHat, customers, sampledContacts, sweeps, warnings } = fit;
        const { chains, seed } = fit.options;
        if (options.json) console.log(JSON.stringify({ model, params, intervals, rHat, customers, sampledContacts, chains, sweeps, seed, warnings }));
        else {
          console.log(`${model} on ${customers} customers by MCMC: ${chains} chains of ${sweeps} sweeps over ${sampledContacts} of them (seed ${seed}); posterior medians, 90 % intervals and R̂`);
          for (const [name, value] of Object.entries(params) as [keyof typeof params, number][]) {
            console.log(`  ${name.padEnd(6)} ${value.toFixed(6)}  (${intervals?.[name]?.map((v) => v.toFixed(6)).join(" – ")}; R̂ ${rHat?.[name]?.toFixed(3)})`);
          }
          for (const warning of warnings ?? []) console.log(`  Warning: ${warning}`);
        }
        return;
      }
      const { fit, errors } = await fitSummaryFile(options.summary, options.model, { strict: options.strict ?? false, delimiter: options.delimiter });
      for (const line of rowErrorLines(errors)) console.error(line);
      const { model, params, logLikelihood, customers, converged, iterations, standardErrors, boundary, reducesTo, warnings } = fit;
      if (options.json) console.log(JSON.stringify({ model, params, logLikelihood, customers, converged, iterations, standardErrors, boundary, reducesTo, warnings }));
      else {
        console.log(`${model} on ${customers} customers: log-likelihood ${logLikelihood.toFixed(4)}, ${iterations} iterations`);
        for (const [name, value] of Object.entries(params)) console.log(`  ${name.padEnd(6)} ${value.toFixed(6)}  (s.e. ${Number.isNaN(standardErrors[name]) ? (boundary.includes(name) ? "none: at a bound" : "none: chosen by likelihood among whole numbers") : standardErrors[name]?.toFixed(6)})`);
        if (reducesTo) console.log(`  At a bound (${boundary.join(", ")}): the fit is ${reducesTo}`);
        for (const warning of warnings) console.log(`  Warning: ${warning}`);
      }
    });
}
