import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { renderReport, type ReportInput } from "../report/render-report.js";
import { enrolledWorkflowFunnels } from "./demo-workflow.js";
import { readReportInput, type ReportOptions, type ReportStore } from "../report/store-report.js";

export const DEFAULT_REPORT_PATH = ".out/report.html";

/**
 * Reads the store (histories, scores, the latest completed model run, segments) and writes the
 * report page: the demo passes its in-process dynalite's store, `clv report` one at an endpoint.
 */
export async function writeReport(store: ReportStore, outPath: string = DEFAULT_REPORT_PATH, options: ReportOptions = {}): Promise<{ path: string; bytes: number }> {
  return writeReportPage(await readReportInput(store, options), outPath);
}

/** Writes the report page of what was read of the store (readReportInput). */
export function writeReportPage(input: ReportInput, outPath: string = DEFAULT_REPORT_PATH): { path: string; bytes: number } {
  const html = renderReport(input);
  const path = resolve(outPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return { path, bytes: Buffer.byteLength(html) };
}

/**
 * The funnel and lift of every workflow file that has enrolled anyone, for the report's workflow
 * section. Broken workflow files cost the report that section, said on stderr, not the whole page.
 */
export async function reportWorkflowFunnels(store: Parameters<typeof enrolledWorkflowFunnels>[0], dir?: string): Promise<WorkflowFunnel[]> {
  try {
    return await enrolledWorkflowFunnels(store, dir);
  } catch (error) {
    console.error(`The report has no workflow section: ${(error as Error).message}`);
    return [];
  }
}
