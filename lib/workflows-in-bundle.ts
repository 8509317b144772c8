import type { ICommandHooks } from "aws-cdk-lib/aws-lambda-nodejs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOYED_WORKFLOWS_FILE } from "../functions/adapters/files/deployed-workflows.js";
import type { WorkflowDefinition } from "../functions/domain/workflows/workflow-definition.js";

/**
 * Bundling hooks that put the workflow definitions into a Lambda's bundle as `workflows.json`
 * (functions/adapters/files/deployed-workflows.ts reads it), instead of an environment variable: a
 * Lambda's environment is limited to 4 KB, which eight definitions would pass.
 */
export function workflowsInBundle(workflows: readonly WorkflowDefinition[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    // Written when the function is bundled (never for a synth that skips bundling), then copied in.
    afterBundling: (_inputDir, outputDir) => {
      const file = join(mkdtempSync(join(tmpdir(), "clv-workflows-")), DEPLOYED_WORKFLOWS_FILE);
      writeFileSync(file, JSON.stringify(workflows));
      return [`cp "${file}" "${outputDir}/${DEPLOYED_WORKFLOWS_FILE}"`];
    },
  };
}
