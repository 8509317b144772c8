import { serviceLogger } from "../adapters/logging/logger.js";
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { StepFunctionsStarter } from "../adapters/sfn/workflow-starter.js";
import { WorkflowDefinition } from "../domain/workflows/workflow-definition.js";
import { enrolEntrants, enrolSegmentMembers, type EnrolDependencies, type WorkflowEnrolment } from "../domain/workflows/enrol-members.js";
import { KeyPrefix, contactIdOf, segmentIdOf } from "../domain/store/table-keys.js";
import { InvalidEventError, parseEvent } from "./events.js";
import { lambdaHandler, tableStore } from "./runtime.js";

const logger = serviceLogger("workflow-enrol");

/** From the nightly state machine, after the night completed. */
const AfterTheNight = z.object({ source: z.literal("nightly") });

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

const WorkflowsEnvironment = z.object({
  WORKFLOWS: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(z.array(z.object({ definition: WorkflowDefinition, stateMachineArn: z.string().min(1) }))),
});

/** Enrols after the night (every member) or on entered-segment records (the entrants). */
export const enrolTask =
  (deps: EnrolDependencies & { clock: () => number }) =>
  async (event: unknown): Promise<{ enrolments: WorkflowEnrolment[]; batchItemFailures?: DynamoDBBatchResponse["batchItemFailures"] }> => {
    const result = AfterTheNight.safeParse(event).success ? { enrolments: await enrolSegmentMembers(deps, deps.clock()) } : await enrolEnteredSegment(event, deps);
    putMetrics({ WorkflowsEnrolled: result.enrolments.reduce((n, e) => n + e.enrolled, 0) });
    return result;
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

export const handler = lambdaHandler(logger, () => {
  const { WORKFLOWS } = parseEvent(WorkflowsEnvironment, process.env, "environment");
  const store = tableStore();
  return enrolTask({
    workflows: WORKFLOWS.map((w) => w.definition),
    starter: new StepFunctionsStarter(new Map(WORKFLOWS.map((w) => [w.definition.id, w.stateMachineArn]))),
    enrolments: store,
    members: store,
    clock: Date.now,
  });
});
