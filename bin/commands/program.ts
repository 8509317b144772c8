/**
 * The `clv` program: every command, registered from its own module in this folder (which imports only
 * commander; what a command needs is imported inside its action). A new command adds its
 * `register…(program)` here. Tests run commands in-process with it; `bin/clv.ts` runs it.
 */
import { Command } from "commander";
import { registerApiKeyCommand } from "./api-key.js";
import { registerContactCommands } from "./contact.js";
import { registerCouponCommands } from "./coupons.js";
import { registerDemoCommand } from "./demo.js";
import { registerFitCommand } from "./fit.js";
import { registerImportCommand } from "./import.js";
import { registerNightlyCommand } from "./nightly.js";
import { registerReportCommand } from "./report.js";
import { registerScoreCommand } from "./score.js";
import { registerSegmentCommands } from "./segments.js";
import { registerServeCommand } from "./serve.js";
import { registerWorkflowCommands } from "./workflows.js";
import { registerEmailCommands } from "./email.js";

export function clvProgram(): Command {
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
  registerEmailCommands(program);
  registerCouponCommands(program);
  registerReportCommand(program);
  return program;
}
