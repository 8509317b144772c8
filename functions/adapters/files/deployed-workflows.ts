import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import { BadEnvironmentError } from "./bad-environment.js";

/**
 * The workflows a Lambda was deployed with travel in its bundle as `workflows.json`, next to its code
 * (lib/workflows-in-bundle.ts writes it at synth), not in its environment: Lambda refuses a deploy whose
 * environment passes 4 KB, and each definition is about 500 bytes.
 */
export const DEPLOYED_WORKFLOWS_FILE = "workflows.json";

const DeployedWorkflows = z.array(WorkflowDefinition);

/**
 * The definitions of `WORKFLOWS_FILE` (local runs and tests), else of `$LAMBDA_TASK_ROOT/workflows.json`;
 * none when neither is set (a local run outside a Lambda). A missing or malformed file throws, naming it,
 * so that a mis-bundled function fails at cold start.
 */
export function deployedWorkflows(env: { WORKFLOWS_FILE?: string | undefined; LAMBDA_TASK_ROOT?: string | undefined } = process.env): WorkflowDefinition[] {
  const file = env.WORKFLOWS_FILE ?? (env.LAMBDA_TASK_ROOT && join(env.LAMBDA_TASK_ROOT, DEPLOYED_WORKFLOWS_FILE));
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new BadEnvironmentError(`the deployed workflows (${file}) cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadEnvironmentError(`the deployed workflows (${file}) are not JSON`);
  }
  const result = DeployedWorkflows.safeParse(parsed);
  if (!result.success) throw new BadEnvironmentError(`the deployed workflows (${file}) are not a list of workflow definitions: ${result.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ")}`);
  return result.data;
}
