import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { repoPath } from "../../local/repo-path.js";
import { segmentTemplates } from "../../domain/segments/segment-templates.js";
import type { WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import { parseWorkflowFiles, WorkflowFileError, type WorkflowCatalogue } from "../../domain/workflows/workflow-file.js";
import { emailTemplateNames } from "./email-files.js";

/** The project's workflow files: one JSON file per workflow. */
export const WORKFLOWS_DIR = repoPath("workflows");
// From source and from the compiled dist/ alike (repo-path.ts); import.meta.url differs between them.
const ROOT = repoPath();

/** The built-in segment templates every store has (segment-templates.ts). */
export const builtInSegmentIds: ReadonlySet<string> = new Set(segmentTemplates.map((s) => s.id));

/** Every `*.json` of the directory, named as a user sees it (relative to the project when inside it). */
export function readWorkflowFiles(dir: string = WORKFLOWS_DIR): { file: string; text: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch (error) {
    throw new WorkflowFileError([{ file: dir, field: "(directory)", message: `cannot be read: ${(error as Error).message}` }]);
  }
  return names.sort().map((name) => {
    const path = join(dir, name);
    const shown = path.startsWith(ROOT) ? relative(ROOT, path) : path;
    return { file: shown, text: readFileSync(path, "utf8") };
  });
}

/**
 * The workflows of a directory, checked against what is known where they load:
 * - the e-mail templates always (they ship with the code: `emails/`);
 * - segments: the built-in templates plus `extraSegments` (the CDK app: the deploy parameter
 *   `segments`; the CLI: the definitions in the store's table);
 * - coupon sets only when `couponSets` is given (they live in the table: the CLI checks them, a
 *   deploy cannot).
 */
export function loadWorkflows(options: { dir?: string; extraSegments?: Iterable<string>; couponSets?: Iterable<string> } = {}): WorkflowDefinition[] {
  const catalogue: WorkflowCatalogue = {
    templates: new Set(emailTemplateNames()),
    segments: new Set([...builtInSegmentIds, ...(options.extraSegments ?? [])]),
    ...(options.couponSets && { couponSets: new Set(options.couponSets) }),
  };
  return parseWorkflowFiles(readWorkflowFiles(options.dir), catalogue);
}

/** A shipped workflow by id (tests, the demo). */
export function shippedWorkflow(id: string): WorkflowDefinition {
  const workflow = loadWorkflows().find((w) => w.id === id);
  if (!workflow) throw new Error(`no workflow "${id}" in ${basename(WORKFLOWS_DIR)}/`);
  return workflow;
}
