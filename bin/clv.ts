/**
 * `clv`: the store's command line. Each command is registered from a small module in `bin/commands/`
 * that imports only commander; what a command needs (the models, the store, the SDK, CDK) is imported
 * inside its action, so `clv --help` and `clv fit` start in a fraction of a second. A new command
 * follows the same pattern: a `register…Command(program)` in bin/commands/program.ts, `await import(…)`
 * in its action.
 */
import "./quiet-sdk-warning.js";
import { commandErrorMessage } from "./commands/command-error.js";
import { clvProgram } from "./commands/program.js";

clvProgram()
  .parseAsync()
  .catch((error: unknown) => {
    console.error(commandErrorMessage(error));
    process.exitCode = 1;
  });
