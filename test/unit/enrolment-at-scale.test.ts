import { describe, expect, it } from "vitest";
import { enrolSegmentMembers } from "../../functions/domain/workflows/enrol-members.js";
import { PacedStarter, START_EXECUTION_QUOTA } from "../../functions/domain/workflows/start-pacing.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { memoryEnrolments, simulatedClock, throttlingStarter, type RequestCounts } from "../support/enrolment-fakes.js";

const lowClvReactivation = shippedWorkflow("low-clv-reactivation");

const NOW = Date.parse("2026-03-01T03:00:00Z");
const isThrottled = (error: unknown) => (error as Error).name === "ThrottlingException";
const newCounts = (): RequestCounts => ({ query: 0, batchGet: 0, put: 0, start: 0, throttled: 0 });

describe("enrolling a segment's members after the night", () => {
  it("reads enrolments 100 at a time, writes and starts each new member once, and goes on from its cursor", async () => {
    // Prepare: 2,500 members, nobody enrolled; 1,000 members read per invocation.
    const counts = newCounts();
    const clock = simulatedClock(NOW);
    const { store, enrolments } = memoryEnrolments(2_500, counts);
    const starter = throttlingStarter(START_EXECUTION_QUOTA.otherRegions, clock, counts);
    const deps = { workflows: [lowClvReactivation], enrolments: store, members: store, starter: new PacedStarter(starter, { quota: START_EXECUTION_QUOTA.otherRegions, clock, isThrottled }) };
    // Act: invocations until no cursor is left, as the state machine's loop does.
    const invocations = [];
    let cursor;
    do {
      const out = await enrolSegmentMembers(deps, NOW, { ...(cursor && { cursor }), maxMembers: 1_000 });
      invocations.push(out);
      cursor = out.cursor;
    } while (cursor);
    // Assess
    expect(invocations).toHaveLength(3);
    expect(invocations.map((i) => i.enrolments[0]!.enrolled)).toEqual([1_000, 1_000, 500]);
    expect(enrolments.size).toBe(2_500);
    expect(starter.names.size).toBe(2_500);
    expect(counts).toMatchObject({ query: 3, batchGet: 25, put: 2_500, start: 2_500, throttled: 0 });
  });

  it("enrols nobody twice when the night runs again, and restarts a member whose start was lost", async () => {
    // Prepare
    const counts = newCounts();
    const clock = simulatedClock(NOW);
    const { store, enrolments } = memoryEnrolments(300, counts);
    const starter = throttlingStarter(START_EXECUTION_QUOTA.largeRegions, clock, counts);
    const deps = { workflows: [lowClvReactivation], enrolments: store, members: store, starter };
    await enrolSegmentMembers(deps, NOW);
    // The execution's first step marks the record started; one member's start was lost.
    for (const [key, e] of enrolments) if (e.contactId !== "m00000007") enrolments.set(key, { ...e, started: true });
    starter.names.clear();
    // Act
    const again = await enrolSegmentMembers(deps, NOW + 3_600_000);
    // Assess
    expect(again.enrolments).toEqual([{ workflowId: lowClvReactivation.id, enrolled: 1, skipped: 299 }]);
    expect([...starter.names]).toEqual([[...enrolments.values()].find((e) => e.contactId === "m00000007")!.executionName]);
  });
});

describe("pacing starts under Step Functions' StartExecution quota", () => {
  it("starts at 90 % of the quota's rate and never past the bucket, on a simulated clock", async () => {
    // Prepare
    const counts = newCounts();
    const clock = simulatedClock(0);
    const quota = START_EXECUTION_QUOTA.otherRegions; // 150 a second
    const paced = new PacedStarter(throttlingStarter(quota, clock, counts), { quota, clock, isThrottled });
    // Act
    for (let i = 0; i < 2_700; i++) await paced.start(lowClvReactivation, `e${i}`, { contactId: `c${i}`, enrolledAt: "", heldOut: false });
    // Assess
    expect(counts.throttled).toBe(0);
    // 2,700 starts at 135 a second, the first second's 135 at once: about 19 seconds.
    expect(clock.now() / 1000).toBeCloseTo((2_700 - 135) / 135, 0);
  });

  it("backs off and retries when another caller shares the quota and Step Functions throttles", async () => {
    // Prepare
    const counts = newCounts();
    const clock = simulatedClock(0);
    // The account's quota is a fifth of what the starter paces at: most first tries are refused.
    const paced = new PacedStarter(throttlingStarter({ perSecond: 30, burst: 30 }, clock, counts), { quota: START_EXECUTION_QUOTA.otherRegions, clock, isThrottled });
    // Act
    for (let i = 0; i < 300; i++) await paced.start(lowClvReactivation, `e${i}`, { contactId: `c${i}`, enrolledAt: "", heldOut: false });
    // Assess
    expect(counts.start - counts.throttled).toBe(300);
    expect(paced.throttled).toBe(counts.throttled);
    expect(counts.throttled).toBeGreaterThan(0);
  });

  it("gives up after its tries on a throttle that does not end, and at once on any other error", async () => {
    // Prepare
    const clock = simulatedClock(0);
    const refusing = { start: async () => Promise.reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })) };
    // Act and assess
    await expect(new PacedStarter(refusing, { quota: START_EXECUTION_QUOTA.largeRegions, clock, isThrottled, attempts: 3 }).start(lowClvReactivation, "x", { contactId: "c", enrolledAt: "", heldOut: false })).rejects.toThrow("Rate exceeded");
    const broken = { start: async () => Promise.reject(new Error("AccessDenied")) };
    await expect(new PacedStarter(broken, { quota: START_EXECUTION_QUOTA.largeRegions, clock, isThrottled }).start(lowClvReactivation, "x", { contactId: "c", enrolledAt: "", heldOut: false })).rejects.toThrow("AccessDenied");
  });
});
