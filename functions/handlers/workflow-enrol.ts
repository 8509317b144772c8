import { serviceLogger } from "../adapters/logging/logger.js";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { StepFunctionsStarter } from "../adapters/sfn/workflow-starter.js";
import { deployedWorkflows } from "../adapters/files/deployed-workflows.js";
import { BadEnvironmentError, parseEnvironment } from "../adapters/files/bad-environment.js";
import { SFNServiceException } from "@aws-sdk/client-sfn";
import { enrolEntrants, enrolSegmentMembers, type EnrolCursor, type EnrolDependencies, type WorkflowEnrolment } from "../domain/workflows/enrol-members.js";
import { PacedStarter, START_EXECUTION_LARGE_REGIONS, START_EXECUTION_QUOTA } from "../domain/workflows/start-pacing.js";
import { KeyPrefix, contactIdOf, segmentIdOf } from "../domain/store/table-keys.js";
import { InvalidEventError, parseEvent } from "./events.js";
import { lambdaHandler, tableStore } from "./runtime.js";

const logger = serviceLogger("workflow-enrol");

/** From the nightly state machine, after the night completed; again with the cursor until done. */
const AfterTheNight = z.object({
  source: z.literal("nightly"),
  cursor: z.object({ workflow: z.number().int().min(0), after: z.string().optional() }).optional(),
});

/**
 * A record of the table's stream, filtered to membership items that are active: "entered segment".
 */
const MembershipRecord = z.object({
  dynamodb: z.object({
    Keys: z.object({ PK: z.object({ S: z.string().startsWith(KeyPrefix.segment) }), SK: z.object({ S: z.string().startsWith(KeyPrefix.contact) }) }),
    NewImage: z.object({ active: z.object({ BOOL: z.boolean() }) }).optional(),
    OldImage: z.object({ active: z.object({ BOOL: z.boolean() }) }).optional(),
  }),
});
const StreamEvent = z.object({ Records: z.array(z.unknown()) });

/** Each workflow's state machine, by workflow id (lib/reactivation-workflow.ts). */
const WorkflowsEnvironment = z.object({
  WORKFLOW_STATE_MACHINES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "is not JSON" });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.string().min(1))),
});

/** What one invocation did; after the night, `done: false` and the cursor send the state machine round again. */
export interface EnrolOutput {
  enrolments: WorkflowEnrolment[];
  /** The stream's records that failed, for Lambda to retry (ReportBatchItemFailures). */
  batchItemFailures?: DynamoDBBatchResponse["batchItemFailures"];
  source?: "nightly";
  cursor?: EnrolCursor;
  done: boolean;
}

/**
 * Enrols after the night (every member, at most `membersPerInvocation` read by one invocation) or
 * on entered-segment records (the entrants).
 */
export const enrolTask =
  (deps: EnrolDependencies & { clock: () => number; membersPerInvocation?: number }) =>
  async (event: unknown): Promise<EnrolOutput> => {
    const night = AfterTheNight.safeParse(event);
    let output: EnrolOutput;
    if (night.success) {
      const { enrolments, cursor } = await enrolSegmentMembers(deps, deps.clock(), {
        ...(night.data.cursor && { cursor: night.data.cursor }),
        maxMembers: deps.membersPerInvocation ?? MEMBERS_PER_INVOCATION,
      });
      output = { enrolments, source: "nightly", ...(cursor && { cursor }), done: cursor === undefined };
    } else output = { ...(await enrolEnteredSegment(event, deps)), done: true };
    putMetrics({ WorkflowsEnrolled: output.enrolments.reduce((n, e) => n + e.enrolled, 0) });
    return output;
  };

/**
 * The stream's entered-segment records, through Powertools' batch processor: a record that fails
 * (unreadable, or its enrolment failed) is reported back by its sequence number and retried, then
 * dead-lettered, while the others go on. A batch in which every record failed fails as a whole with
 * the first record's error, as one bad event always did.
 */
async function enrolEnteredSegment(event: unknown, deps: EnrolDependencies & { clock: () => number }) {
  const { Records } = parseEvent(StreamEvent, event, "entered-segment event");
  const byWorkflow = new Map<string, WorkflowEnrolment>();
  const handleRecord = async (raw: DynamoDBRecord) => {
    const parsed = MembershipRecord.safeParse(raw);
    if (!parsed.success) throw new InvalidEventError("entered-segment event", parsed.error.issues.map((i) => ({ ...i, path: ["Records", Records.indexOf(raw), ...i.path] })));
    const { Keys, NewImage, OldImage } = parsed.data.dynamodb;
    // A record whose old image was active already is a rewrite, not an entry.
    if (NewImage?.active.BOOL !== true || OldImage?.active.BOOL === true) return;
    const entrant = { segmentId: segmentIdOf(Keys.PK.S), contactId: contactIdOf(Keys.SK.S) };
    for (const e of await enrolEntrants([entrant], deps, deps.clock())) {
      const sum = byWorkflow.get(e.workflowId);
      byWorkflow.set(e.workflowId, sum ? { ...sum, enrolled: sum.enrolled + e.enrolled, skipped: sum.skipped + e.skipped } : e);
    }
  };
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const { batchItemFailures } = await processPartialResponse({ Records: Records as DynamoDBRecord[] }, handleRecord, processor, { processInParallel: false, throwOnFullBatchFailure: false });
  if (Records.length > 0 && processor.errors.length === Records.length) throw processor.errors[0];
  return { enrolments: [...byWorkflow.values()], batchItemFailures: [...batchItemFailures] };
}

/**
 * Members one invocation reads after the night: 50,000 starts take under 6 minutes at 150 a second
 * (the smaller regions' quota, 90 % of it), inside Lambda's 15 with room for throttling.
 */
export const MEMBERS_PER_INVOCATION = 50_000;

const PacingEnvironment = z.object({
  AWS_REGION: z.string().optional(),
  START_EXECUTIONS_PER_SECOND: z.coerce.number().positive().optional(),
});

export const handler = lambdaHandler(logger, () => {
  const { WORKFLOW_STATE_MACHINES: stateMachines } = parseEnvironment(WorkflowsEnvironment, process.env);
  const workflows = deployedWorkflows();
  const unstarted = workflows.filter((w) => !stateMachines[w.id]).map((w) => w.id);
  if (unstarted.length > 0) throw new BadEnvironmentError(`WORKFLOW_STATE_MACHINES has no state machine for ${unstarted.join(", ")}`);
  const pacing = parseEnvironment(PacingEnvironment, process.env);
  const regionQuota = START_EXECUTION_LARGE_REGIONS.includes(pacing.AWS_REGION ?? "") ? START_EXECUTION_QUOTA.largeRegions : START_EXECUTION_QUOTA.otherRegions;
  const quota = pacing.START_EXECUTIONS_PER_SECOND ? { perSecond: pacing.START_EXECUTIONS_PER_SECOND, burst: pacing.START_EXECUTIONS_PER_SECOND } : regionQuota;
  const store = tableStore();
  return enrolTask({
    workflows,
    starter: new PacedStarter(new StepFunctionsStarter(new Map(workflows.map((w) => [w.id, stateMachines[w.id]!]))), {
      quota,
      isThrottled: (error) => error instanceof SFNServiceException && error.name === "ThrottlingException",
    }),
    enrolments: store,
    members: store,
    clock: Date.now,
  });
});
