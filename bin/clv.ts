/**
 * `clv`: the store's command line. Each command is registered from a small module in `bin/commands/`
 * that imports only commander; what a command needs (the models, the store, the SDK, CDK) is imported
 * inside its action, so `clv --help` and `clv fit` start in a fraction of a second. A new command
 * follows the same pattern: `register…Command(program)` here, `await import(…)` in its action.
 */
import "./quiet-sdk-warning.js";
import { Command } from "commander";
import { registerApiKeyCommand } from "./commands/api-key.js";
import { registerContactCommands } from "./commands/contact.js";
import { registerCouponCommands } from "./commands/coupons.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerFitCommand } from "./commands/fit.js";
import { registerImportCommand } from "./commands/import.js";
import { registerNightlyCommand } from "./commands/nightly.js";
import { registerReportCommand } from "./commands/report.js";
import { registerScoreCommand } from "./commands/score.js";
import { registerSegmentCommands } from "./commands/segments.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerWorkflowCommands } from "./commands/workflows.js";
import { commandErrorMessage } from "./commands/command-error.js";

const program = new Command("clv")
  .description("Customer lifetime value, churn risk and RFM for an online store, from its orders.")
  .showHelpAfterError();

registerFitCommand(program);
registerScoreCommand(program);
registerDemoCommand(program);
registerImportCommand(program);
registerNightlyCommand(program);
registerSegmentCommands(program);
registerContactCommands(program);
registerServeCommand(program);
registerApiKeyCommand(program);
registerWorkflowCommands(program);
registerCouponCommands(program);
registerReportCommand(program);

program.parseAsync().catch((error: unknown) => {
  console.error(commandErrorMessage(error));
  process.exitCode = 1;
});
