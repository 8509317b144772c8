import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWorkflows } from "../../functions/adapters/files/workflow-files.js";
import { isHeldOut } from "../../functions/domain/workflows/enrolment.js";
import { waitText, windowDays } from "../../functions/domain/workflows/workflow-definition.js";
import { parseWorkflowFiles, WorkflowFileError, type WorkflowCatalogue } from "../../functions/domain/workflows/workflow-file.js";

const catalogue: WorkflowCatalogue = {
  templates: new Set(["reactivation-coupon", "reactivation-reminder"]),
  segments: new Set(["low-clv", "win-back"]),
  couponSets: new Set(["gift"]),
};
const valid = { id: "vip", name: "VIP thanks", segment: "win-back", couponSet: "gift", emails: { coupon: "reactivation-coupon", reminder: "reactivation-reminder" }, wait: "7 days" };
const file = (name: string, body: unknown) => ({ file: `workflows/${name}.json`, text: typeof body === "string" ? body : JSON.stringify(body) });

/** The problems parseWorkflowFiles throws, as "file: field: message" lines. */
function problems(files: { file: string; text: string }[], against: WorkflowCatalogue = catalogue): string[] {
  try {
    parseWorkflowFiles(files, against);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowFileError);
    return (error as Error).message.split("\n");
  }
  throw new Error("the files were accepted");
}

describe("a workflow file", () => {
  it("becomes a definition: the wait in seconds, the defaults (enrol all members, 10 % held out, enrol once)", () => {
    // Act
    const [w] = parseWorkflowFiles([file("vip", valid)], catalogue);
    // Assess
    expect(w).toEqual({
      id: "vip",
      name: "VIP thanks",
      segmentId: "win-back",
      dataSource: "all-members",
      couponSetId: "gift",
      couponEmail: "reactivation-coupon",
      reminderEmail: "reactivation-reminder",
      waitSeconds: 604_800,
      reenrolAfterDays: null,
      holdOutShare: 0.1,
    });
    expect(waitText(w!)).toBe("7 days");
    const [short] = parseWorkflowFiles([file("short", { ...valid, wait: "36 hours", holdOut: 0 })], catalogue);
    expect([short!.waitSeconds, windowDays(short!), waitText(short!), short!.holdOutShare]).toEqual([129_600, 2, "36 hours", 0]);
  });

  it("names the file and the field of an unknown segment, coupon set or e-mail template, with what is known", () => {
    // Act and assess
    expect(problems([file("vip", { ...valid, segment: "vips", couponSet: "gifts", emails: { coupon: "coupon-mail", reminder: "reactivation-reminder" } })])).toEqual([
      'workflows/vip.json: field "segment": no segment "vips"; known: low-clv, win-back',
      'workflows/vip.json: field "couponSet": no coupon set "gifts"; known: gift (create it with `clv coupons create`)',
      'workflows/vip.json: field "emails.coupon": no e-mail template "coupon-mail"; known: reactivation-coupon, reactivation-reminder',
    ]);
  });

  it("refuses a wait under 1 hour, and one it cannot read", () => {
    // Act and assess
    expect(problems([file("vip", { ...valid, wait: "30 minutes" })])).toEqual(['workflows/vip.json: field "wait": must be at least 1 hour, got "30 minutes"']);
    expect(problems([file("vip", { ...valid, wait: "0.5 hours" })])).toEqual(['workflows/vip.json: field "wait": must be at least 1 hour, got "0.5 hours"']);
    expect(problems([file("vip", { ...valid, wait: "a week" })])).toEqual(['workflows/vip.json: field "wait": must be a duration such as "7 days" or "36 hours", got "a week"']);
    expect(problems([file("vip", { ...valid, wait: 7 })])[0]).toMatch(/^workflows\/vip\.json: field "wait": must be a duration/);
  });

  it("refuses two files with one id, naming both", () => {
    // Act and assess
    expect(problems([file("a", valid), file("b", { ...valid, name: "Other" })])).toEqual(['workflows/b.json: field "id": "vip" is already the id of workflows/a.json; each workflow needs its own']);
  });

  it("names bad JSON, unknown fields, missing fields and bad values by file and field, for every file at once", () => {
    // Act
    const lines = problems([
      file("broken", "{ not json"),
      file("typo", { ...valid, id: "typo", segmnet: "low-clv" }),
      file("missing", { id: "missing", name: "x", segment: "low-clv", couponSet: "gift", wait: "7 days" }),
      file("share", { ...valid, id: "share", holdOut: 0.9 }),
      file("id", { ...valid, id: "Bad Id" }),
    ]);
    // Assess
    expect(lines[0]).toMatch(/^workflows\/broken\.json: field "\(file\)": is not JSON/);
    expect(lines).toContain('workflows/typo.json: field "(file)": Unrecognized key: "segmnet"');
    expect(lines).toContain('workflows/missing.json: field "emails": Invalid input: expected object, received undefined');
    expect(lines).toContain('workflows/share.json: field "holdOut": must be between 0 and 0.5');
    expect(lines.some((l) => l.startsWith('workflows/id.json: field "id": must be 1–40 lower-case letters'))).toBe(true);
  });

  it("leaves segments and coupon sets unchecked when the catalogue does not know them (checked where the table is)", () => {
    // Act and assess
    expect(parseWorkflowFiles([file("vip", { ...valid, segment: "custom", couponSet: "any" })], { templates: catalogue.templates })).toHaveLength(1);
  });
});

describe("the workflows directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "workflows-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads every *.json; a segment beyond the built-in templates only when the table (or -c segments) has it", () => {
    // Prepare
    writeFileSync(join(dir, "vip.json"), JSON.stringify({ ...valid, segment: "vip" }));
    writeFileSync(join(dir, "notes.txt"), "not a workflow");
    // Act, Assess
    expect(() => loadWorkflows({ dir })).toThrow(`${join(dir, "vip.json")}: field "segment": no segment "vip"; known: low-clv, low-clv-relative, low-predicted-engaged, win-back`);
    expect(loadWorkflows({ dir, extraSegments: ["vip"] }).map((w) => w.id)).toEqual(["vip"]);
    expect(() => loadWorkflows({ dir, extraSegments: ["vip"], couponSets: [] })).toThrow(/field "couponSet": no coupon set "gift"; known: none/);
  });

  it("ships three workflows with distinct ids, all valid against the built-in segments and the shipped e-mails", () => {
    // Act and assess
    expect(loadWorkflows().map((w) => w.id)).toEqual(["low-clv-reactivation", "low-clv-relative-reactivation", "win-back"]);
  });
});

describe("the control group", () => {
  it("holds out about the workflow's share, the same contacts every time, different ones per workflow", () => {
    // Prepare
    const ids = Array.from({ length: 20_000 }, (_, i) => `c-${i}`);
    const a = { id: "low-clv-reactivation", holdOutShare: 0.1 };
    const b = { id: "win-back", holdOutShare: 0.1 };
    // Act
    const heldA = ids.filter((id) => isHeldOut(a, id));
    const heldB = new Set(ids.filter((id) => isHeldOut(b, id)));
    // Assess: 10 % ± 4 binomial standard errors (s.e. = √(0.1·0.9/20000) ≈ 0.21 %).
    expect(heldA.length / ids.length).toBeGreaterThan(0.1 - 4 * 0.0021);
    expect(heldA.length / ids.length).toBeLessThan(0.1 + 4 * 0.0021);
    expect(ids.filter((id) => isHeldOut(a, id))).toEqual(heldA);
    // Independent splits overlap in about 10 % of 10 %.
    expect(heldA.filter((id) => heldB.has(id)).length / heldA.length).toBeLessThan(0.2);
    expect(ids.some((id) => isHeldOut({ id: "x", holdOutShare: 0 }, id))).toBe(false);
  });
});
