import type { AddressInfo } from "node:net";
import { parseHTML } from "linkedom";
import { afterAll, describe, expect, it } from "vitest";
import { defaultModelRunOptions } from "../../functions/domain/clv/model-run.js";
import { contactHistories } from "../../functions/domain/clv/order-history.js";
import type { NightlySummary } from "../../functions/domain/nightly/nightly-scoring.js";
import type { WorkflowFunnel } from "../../functions/domain/report/workflow-funnel.js";
import { workflowFunnel, type Enrolment } from "../../functions/domain/workflows/enrolment.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { chartMarkSelector, renderReport, reportChartNames, type ReportInput } from "../../functions/local/report/render-report.js";
import { isReportStore, readReportInput, type ReportStore } from "../../functions/local/report/store-report.js";
import { reportInputOf } from "../browser/report-input.js";
import { cdnowSampleOrders } from "../support/cdnow.js";

const asOf = Date.parse("1998-06-30T00:00:00Z");
const histories = contactHistories(cdnowSampleOrders(), asOf);
const input = reportInputOf(histories, asOf, { storeName: "CDNOW sample", currency: "USD", run: { ...defaultModelRunOptions, unit: "weeks", holdoutDays: 273 } });

const page = (html: string) => parseHTML(html).document;
const marks = (html: string, chart: string) => page(html).querySelectorAll(`[data-chart="${chart}"] :is(${chartMarkSelector})`).length;
/** 100 mailed contacts of whom 20 bought for 50, 20 held out of whom 2 bought for 40. */
const enrolments: Enrolment[] = Array.from({ length: 120 }, (_, i) => {
  const heldOut = i >= 100;
  const bought = heldOut ? i < 102 : i < 20;
  return {
    workflowId: "win-back",
    contactId: `c-${i}`,
    executionName: `win-back-c-${i}-2024-06-01`,
    enrolledAt: "2024-06-01T00:00:00.000Z",
    heldOut,
    ...(!heldOut && { couponCode: `CODE-${i}`, couponEmailSentAt: "2024-06-01T00:00:01.000Z" }),
    purchasedInWindow: bought,
    revenueInWindow: bought ? (heldOut ? 40 : 50) : 0,
    outcome: heldOut ? "held-out" : bought ? "purchased" : "reminded",
  };
});
const funnel: WorkflowFunnel = workflowFunnel({ id: "win-back", name: "Win-Back <b>bold</b>", waitSeconds: 7 * 86_400 }, enrolments);

describe("renderReport", () => {
  const html = renderReport(input);

  it("draws every chart, each with marks for its data", () => {
    // Act and assess
    for (const name of reportChartNames) expect(marks(html, name), name).toBeGreaterThan(0);
    const calibrationDots = page(html).querySelectorAll('[data-chart="calibration-holdout"] [aria-label="dot"] circle').length;
    expect(calibrationDots).toBe(2 * 8); // actual and the chosen model at 0..7 calibration purchases
    expect(marks(html, "rfm-grid")).toBe(25);
    expect(marks(html, "churn-risk-histogram")).toBe(20);
  });

  it("is one self-contained page: no script, nothing loaded from elsewhere", () => {
    // Act and assess
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    expect(html.startsWith("<!doctype html>")).toBe(true);
  });

  it("shows the model run: eligibility, each candidate's holdout error, the chosen model's parameters", () => {
    // Act
    const text = page(html).querySelector("#model-run")!.textContent!;
    // Assess
    expect(text).toContain("Eligibility for predictions: yes");
    for (const c of input.run!.holdout!.candidates) expect(text).toContain(c.model);
    expect(text).toContain(`Chosen model: ${input.run!.purchaseModel!.model}, refitted on all data`);
    expect(text).toContain("Gamma-Gamma");
  });

  it("lists each segment with its size", () => {
    // Prepare
    const rows = [...page(html).querySelectorAll("#segments tbody tr")];
    // Act and assess
    expect(rows).toHaveLength(input.segments.length);
    input.segments.forEach((s, i) => expect(rows[i]!.textContent).toContain(s.analytics.size.toLocaleString("en-GB")));
  });

  it("says there are no workflows yet, and draws a workflow's funnel once there is one", () => {
    // Act and assess
    expect(page(html).querySelector('[data-empty="workflows"]')).not.toBeNull();
    const withFunnel = renderReport({ ...input, workflows: [funnel] });
    expect(marks(withFunnel, "workflow-win-back")).toBe(6);
    expect(withFunnel).toContain("Win-Back &#60;b&#62;bold&#60;/b&#62;");
    expect(withFunnel).not.toContain("<b>bold</b>");
  });

  it("shows each workflow's lift: mailed against held out, with the 95 % intervals and their methods", () => {
    // Prepare
    const lift = page(renderReport({ ...input, currency: "USD", workflows: [funnel] })).querySelector('[data-lift="win-back"]')!;
    const rows = [...lift.querySelectorAll("tr")].map((r) => r.textContent);
    // Act and assess
    expect(rows).toContain("Mailed1002020.0 %US$10.00");
    expect(rows).toContain("Held out (control)20210.0 %US$4.00");
    // 20 % − 10 % = 10 points; Newcombe's interval is asymmetric and spans zero with 20 held out.
    expect(lift.textContent).toMatch(/Conversion, mailed − held out\+10\.0 pts \(95 % CI −[\d.]+ pts to \+[\d.]+ pts\)/);
    expect(lift.textContent).toMatch(/Incremental buyers\+10\.0/);
    expect(lift.textContent).toContain("Newcombe");
    expect(lift.textContent).toContain("Welch");
  });

  it("escapes what users named", () => {
    // Act
    const named = renderReport({
      ...input,
      storeName: `Ann's <script>alert(1)</script>`,
      segments: [{ definition: { id: "x", name: "<img src=x onerror=alert(1)>", description: '"quoted"' }, analytics: input.segments[0]!.analytics }],
    });
    // Assess
    expect(named).not.toMatch(/<script|<img/i);
  });

  it("renders a store with no model run yet, and one not eligible for predictions, with the reasons", () => {
    // Act
    const empty = renderReport({ generatedAt: "2024-01-01T00:00:00.000Z", histories: [], scores: [], segments: [], workflows: [] });
    // Assess
    expect(empty).toContain("No model run recorded yet");
    for (const name of ["calibration-holdout", "cumulative-repeat-purchases", "frequency-recency", "distributions", "rfm-grid", "segments", "workflows"]) {
      expect(page(empty).querySelector(`[data-empty="${name}"]`), name).not.toBeNull();
    }
    const small = reportInputOf(histories.slice(0, 200), asOf, { run: { ...defaultModelRunOptions, unit: "weeks" } });
    const ineligible = renderReport(small);
    expect(page(ineligible).querySelector(".callout")!.textContent).toContain("200 customers have placed an order; predictions need at least 500");
    expect(marks(ineligible, "rfm-grid")).toBe(25);
    expect(page(ineligible).querySelector('[data-empty="calibration-holdout"]')).not.toBeNull();
  });
});

/** The input as a store would hand it out: contact states, the completed night's run, segment members. */
function fakeStore(report: ReportInput, summary?: NightlySummary): ReportStore {
  const members = new Map(report.segments.map((s, i) => [s.definition.id, report.scores.filter((_, j) => j % (i + 2) === 0).map((c) => c.contactId)]));
  return {
    async *scanContactStates() {
      yield report.histories.map((history, i) => ({ contactId: history.contactId, history, scores: report.scores[i]!, memberships: {}, emailEvents: [] }));
    },
    latestCompletedPlan: async () => (report.run ? { runId: "1998-06-30T00:00:00.000Z", run: report.run } : undefined),
    latestNightlySummary: async () => summary,
    listSegmentDefinitions: async () => report.segments.map((s) => ({ ...s.definition, match: { all: [{ field: "orderCount", op: "gte", value: 1 }] } }) as never),
    activeSegmentMembers: async (id) => new Map((members.get(id) ?? []).map((contactId) => [contactId, { contactId, enteredAt: "2024-01-01T00:00:00Z" }])),
  };
}

describe("reading the report from the store", () => {
  it("takes histories and scores from the contacts, the run of the latest completed night, segment sizes from the members", async () => {
    // Prepare
    const store = fakeStore(input);
    // Act
    const read = await readReportInput(store, { now: () => asOf, storeName: "CDNOW sample" });
    // Assess
    expect(read.histories).toHaveLength(histories.length);
    expect(read.scores).toHaveLength(histories.length);
    expect(read.run).toBe(input.run);
    expect(read.generatedAt).toBe("1998-06-30T00:00:00.000Z");
    expect(read.segments.map((s) => s.analytics.size)).toEqual(input.segments.map((_, i) => Math.ceil(histories.length / (i + 2))));
    expect(read.workflows).toEqual([]);
    expect(isReportStore(store)).toBe(true);
    expect(isReportStore({ scanHistories() {} })).toBe(false);
  });

  it("shows the segment sizes the run it shows left, not the members changed since", async () => {
    // Prepare: the night's summary says 7 contacts in the first segment; the members now are more.
    const [first] = input.segments;
    const analytics = { ...first!.analytics, size: 7 };
    const summary: NightlySummary = {
      runId: "1998-06-30T00:00:00.000Z",
      completedAt: "1998-06-30T00:05:00.000Z",
      contacts: histories.length,
      scoresWritten: histories.length,
      model: "bg-nbd",
      reasons: [],
      segments: [{ id: first!.definition.id, name: first!.definition.name, entered: 7, left: 0, analytics }],
    };

    // Act
    const read = await readReportInput(fakeStore(input, summary), { now: () => asOf });
    const ofAnotherRun = await readReportInput(fakeStore(input, { ...summary, runId: "1998-06-29T00:00:00.000Z" }), { now: () => asOf });

    // Assess
    expect(read.segments[0]!.analytics.size).toBe(7);
    expect(read.segments[1]!.analytics.size).toBe(Math.ceil(histories.length / 3)); // not in the run: from its members
    expect(ofAnotherRun.segments[0]!.analytics.size).toBe(Math.ceil(histories.length / 2));
  });
});

describe("GET /report on the local server", () => {
  const servers: { close(): void }[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  const serve = async (store: object) => {
    const server = await startLocalApi({ store: store as never, clock: () => asOf, unsubscribeSecret: async () => "secret", apiKeyHashes: [], report: { storeName: "CDNOW sample" } });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it("renders the page from the store on each request, without an API key", async () => {
    // Act
    const response = await fetch(`${await serve(fakeStore(input))}/report`);
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    for (const name of reportChartNames) expect(marks(html, name), name).toBeGreaterThan(0);
    expect(html).toContain("CDNOW sample: customer lifetime value report");
  });

  it("is 404 for a store that cannot give a report", async () => {
    // Act and assess
    expect((await fetch(`${await serve({})}/report`)).status).toBe(404);
  });
});
