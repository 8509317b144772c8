import { Command, CommanderError } from "commander";
import { vi } from "vitest";
import { commandErrorMessage } from "../../bin/commands/command-error.js";
import { clvProgram } from "../../bin/commands/program.js";

export interface ClvRun {
  /** The exit code `clv` would end with. */
  status: number;
  stdout: string;
  stderr: string;
}

function quietly(command: Command, out: string[], err: string[]): void {
  command.exitOverride().configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  for (const sub of command.commands) quietly(sub, out, err);
}

/**
 * `clv ARGS…` in this process, as bin/clv.ts runs it (the same program, the same error lines and exit
 * codes), what it prints collected: seconds faster than a child process per call. One test spawns
 * the real executable (cli-start-up.test.ts). Calls must not overlap: they share the console.
 */
export async function clv(...args: string[]): Promise<ClvRun> {
  const out: string[] = [];
  const err: string[] = [];
  const print = (to: string[]) => (...values: unknown[]) => void to.push(`${values.map(String).join(" ")}\n`);
  const log = vi.spyOn(console, "log").mockImplementation(print(out));
  const error = vi.spyOn(console, "error").mockImplementation(print(err));
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let status = 0;
  try {
    const program = clvProgram();
    quietly(program, out, err);
    await program.parseAsync(["node", "clv", ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (thrown) {
    if (thrown instanceof CommanderError) status = thrown.exitCode;
    else {
      err.push(`${commandErrorMessage(thrown)}\n`);
      status = 1;
    }
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = exitCode;
  }
  return { status, stdout: out.join(""), stderr: err.join("") };
}
