/**
 * `npm run bench -- enrolment`: a night's enrolment of 1,000,000 segment members (issue #14), the
 * store and Step Functions simulated in memory with their request counts and StartExecution's quota
 * on a simulated clock: no wall-clock waits. Prints requests per member and the night's enrolment
 * time at the quota of the large regions and of the others. ENROL_MEMBERS for another size.
 */
import { MEMBERS_PER_INVOCATION } from "../../functions/handlers/workflow-enrol.js";
import { enrolSegmentMembers, type EnrolCursor } from "../../functions/domain/workflows/enrol-members.js";
import { PacedStarter, START_EXECUTION_QUOTA } from "../../functions/domain/workflows/start-pacing.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { memoryEnrolments, simulatedClock, throttlingStarter, type RequestCounts } from "../support/enrolment-fakes.js";

const lowClvReactivation = shippedWorkflow("low-clv-reactivation");

const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(56)} ${value.padStart(14)}  ${note}`);
const isThrottled = (error: unknown) => (error as Error).name === "ThrottlingException";

export async function benchEnrolment(): Promise<void> {
  const members = Number(process.env.ENROL_MEMBERS ?? 1_000_000);
  for (const [region, quota] of Object.entries(START_EXECUTION_QUOTA)) {
    console.log(`\nEnrolling ${members.toLocaleString("en")} members after the night, StartExecution quota of the ${region === "largeRegions" ? "large regions" : "other regions"} (${quota.perSecond}/s, bucket ${quota.burst})`);
    const counts: RequestCounts = { query: 0, batchGet: 0, put: 0, start: 0, throttled: 0 };
    const clock = simulatedClock(0);
    const { store } = memoryEnrolments(members, counts);
    const starter = new PacedStarter(throttlingStarter(quota, clock, counts), { quota, clock, isThrottled });
    const deps = { workflows: [lowClvReactivation], enrolments: store, members: store, starter };
    const started = performance.now();
    let cursor: EnrolCursor | undefined;
    let invocations = 0;
    let longest = 0;
    let enrolled = 0;
    do {
      const from = clock.now();
      const out = await enrolSegmentMembers(deps, 0, { ...(cursor && { cursor }), maxMembers: MEMBERS_PER_INVOCATION });
      // Each invocation's own DynamoDB time besides the paced starts, ~10 ms a round trip: a page of
      // 1,000 members (Query), then per 100 one BatchGetItem and one round of 100 PutItems in parallel.
      const roundTrips = Math.ceil(MEMBERS_PER_INVOCATION / 1_000) + 2 * Math.ceil(MEMBERS_PER_INVOCATION / 100);
      clock.advance(roundTrips * 10);
      longest = Math.max(longest, clock.now() - from);
      enrolled += out.enrolments.reduce((n, e) => n + e.enrolled, 0);
      cursor = out.cursor;
      invocations++;
    } while (cursor);
    const requests = counts.query + counts.batchGet + counts.put + counts.start;
    line("members enrolled", enrolled.toLocaleString("en"));
    line("requests per member", (requests / members).toFixed(3), `Query ${counts.query}, BatchGetItem ${counts.batchGet.toLocaleString("en")}, PutItem ${counts.put.toLocaleString("en")}, StartExecution ${counts.start.toLocaleString("en")} (before: ~4 a member)`);
    line("throttled starts (retried)", counts.throttled.toLocaleString("en"));
    line("the night's enrolment, simulated time", `${(clock.now() / 60_000).toFixed(1)} min`, `${invocations} invocations of ≤ ${MEMBERS_PER_INVOCATION.toLocaleString("en")} members, the longest ${(longest / 60_000).toFixed(1)} min (Lambda: 15)`);
    line("(this machine's time to simulate it)", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
