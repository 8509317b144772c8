import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workflowLift } from "../../functions/domain/workflows/workflow-lift.js";
import type { WorkflowFunnel } from "../../functions/domain/report/workflow-funnel.js";
import { chartMarkSelector, renderReport, reportChartNames, type ReportInput } from "../../functions/local/report/render-report.js";
import { onlineRetailReportInput } from "./report-input.js";

/**
 * The report page in a real browser: Debian's Chromium driven by playwright-core. Without Chromium
 * the test is skipped and says why (CI installs it in .ci/run when it can); a Chromium that is there
 * but fails to start fails the test.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
if (missing) console.warn(`test/browser/report-page.test.ts skipped: ${missing}`);
/** The test's name, with the reason when it is skipped, so a report of skipped tests says why. */
const named = (title: string) => (missing ? `${title} [skipped: ${missing}]` : title);

const OUT = resolve(".out");

interface Loaded {
  errors: string[];
  /** Requests for anything but the page itself: there must be none. */
  requests: string[];
}

/** Opens a URL with every request but the page's own refused and recorded, console errors collected. */
async function open(page: Page, url: string): Promise<Loaded> {
  const loaded: Loaded = { errors: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") loaded.errors.push(message.text());
  });
  page.on("pageerror", (error) => loaded.errors.push(String(error)));
  await page.route("**/*", (route) => {
    if (route.request().url() === url) return route.continue();
    loaded.requests.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: "load" });
  return loaded;
}

/** The little of the browser's DOM the count uses (the project compiles without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): { width: number; height: number };
}

/** Marks drawn per chart, counted in the page as the browser laid it out: only marks with a size. */
function countMarks(page: Page): Promise<Record<string, number>> {
  return page.evaluate((selector) => {
    const document = (globalThis as unknown as { document: PageElement }).document;
    const counts: Record<string, number> = {};
    for (const figure of document.querySelectorAll("[data-chart]")) {
      counts[figure.getAttribute("data-chart")!] = [...figure.querySelectorAll(selector)].filter((mark) => {
        const box = mark.getBoundingClientRect();
        return box.width > 0 || box.height > 0;
      }).length;
    }
    return counts;
  }, chartMarkSelector);
}

describe("the store's report in Chromium", () => {
  let browser: Browser;
  let input: ReportInput;
  let html: string;

  beforeAll(async () => {
    if (missing) return;
    [browser, input] = await Promise.all([chromium.launch({ executablePath: CHROMIUM }), onlineRetailReportInput()]);
    html = renderReport(input);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(resolve(OUT, "report.html"), html);
  });
  afterAll(async () => browser?.close());

  it.skipIf(Boolean(missing))(named("loads the demo store's report offline with no console error, every chart drawn, and saves a screenshot"), async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const loaded = await open(page, pathToFileURL(resolve(OUT, "report.html")).href);
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([]);

    const marks = await countMarks(page);
    console.log(`report page: ${Math.round(Buffer.byteLength(html) / 1024)} KB; marks per chart: ${JSON.stringify(marks)}`);
    for (const name of reportChartNames) expect(marks[name], name).toBeGreaterThan(0);
    expect(marks["calibration-holdout"]).toBeGreaterThanOrEqual(8 + 2); // dots at 0..7 and the lines
    expect(marks["rfm-grid"]).toBe(25);
    expect(marks["churn-risk-histogram"]).toBe(20);
    expect(marks["expected-purchases-matrix"]).toBe(marks["p-alive-matrix"]);
    expect(marks["expected-purchases-matrix"]).toBeGreaterThanOrEqual(100);
    expect(await page.locator('[data-empty="workflows"]').isVisible()).toBe(true);
    expect(await page.locator("#segments tbody tr").count()).toBe(input.segments.length);

    await page.screenshot({ path: resolve(OUT, "report.png"), fullPage: true });
    expect(existsSync(resolve(OUT, "report.png"))).toBe(true);
  });

  it.skipIf(Boolean(missing))(named("draws a workflow's funnel when there is one"), async () => {
    // The workflow side reports funnels; this one is made up in that shape.
    const funnel: WorkflowFunnel = { workflowId: "win-back", name: "Win-Back", window: "7 days", enrolled: 110, heldOut: 11, couponsAssigned: 93, outOfStock: 6, emailsSent: 90, purchasedInWindow: 17, revenueInWindow: 2890, reminded: 70, lift: workflowLift([]) };
    writeFileSync(resolve(OUT, "report-with-workflow.html"), renderReport({ ...input, workflows: [funnel] }));
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const loaded = await open(page, pathToFileURL(resolve(OUT, "report-with-workflow.html")).href);
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([]);
    expect((await countMarks(page))["workflow-win-back"]).toBe(6);
    await page.locator('[data-chart="workflow-win-back"]').screenshot({ path: resolve(OUT, "report-workflow.png") });
  });
});
