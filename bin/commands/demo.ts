import type { Command } from "commander";

/** `clv demo` (what `npm start` runs): the demo store from its orders to its workflow's funnel. */
export function registerDemoCommand(program: Command): Command {
  return program
    .command("demo")
    .description("score the demo store (Online Retail) and print what its marketer wants to read")
    .option("--out <file>", "where to write every contact's figures", ".out/online-retail-scores.csv")
    .action(async (options: { out: string }) => {
      const { runDemo } = await import("../../functions/local/cli/demo-command.js");
      await runDemo(options.out);
    });
}
