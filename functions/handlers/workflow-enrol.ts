import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { StepFunctionsStarter } from "../adapters/sfn/workflow-starter.js";
import { WorkflowDefinition } from "../domain/workflows/workflow-definition.js";
import { enrolEntrants, enrolSegmentMembers, type EnrolDependencies, type WorkflowEnrolment } from "../domain/workflows/enrol-members.js";
import { KeyPrefix, contactIdOf, segmentIdOf } from "../domain/store/table-keys.js";
import { parseEvent } from "./events.js";
import { lambdaHandler, tableStore } from "./runtime.js";

/** From the nightly state machine, after the night completed. */
const AfterTheNight = z.object({ source: z.literal("nightly") });

/**
 * From the table's stream, filtered to membership items that are active: "entered segment". A record
 * whose old image was active already is a rewrite, not an entry.
 */
const MembershipRecord = z.object({
  dynamodb: z.object({
    Keys: z.object({ PK: z.object({ S: z.string().startsWith(KeyPrefix.segment) }), SK: z.object({ S: z.string().startsWith(KeyPrefix.contact) }) }),
    NewImage: z.object({ active: z.object({ BOOL: z.boolean() }) }).optional(),
    OldImage: z.object({ active: z.object({ BOOL: z.boolean() }) }).optional(),
  }),
});
const EnteredSegmentEvent = z.object({ Records: z.array(MembershipRecord) });

const WorkflowsEnvironment = z.object({
  WORKFLOWS: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(z.array(z.object({ definition: WorkflowDefinition, stateMachineArn: z.string().min(1) }))),
});

/** Enrols after the night (every member) or on entered-segment records (the entrants). */
export const enrolTask =
  (deps: EnrolDependencies & { clock: () => number }) =>
  async (event: unknown): Promise<{ enrolments: WorkflowEnrolment[] }> => {
    let enrolments: WorkflowEnrolment[];
    if (AfterTheNight.safeParse(event).success) enrolments = await enrolSegmentMembers(deps, deps.clock());
    else {
      const { Records } = parseEvent(EnteredSegmentEvent, event, "entered-segment event");
      const entered = Records.filter((r) => r.dynamodb.NewImage?.active.BOOL === true && r.dynamodb.OldImage?.active.BOOL !== true).map((r) => ({
        segmentId: segmentIdOf(r.dynamodb.Keys.PK.S),
        contactId: contactIdOf(r.dynamodb.Keys.SK.S),
      }));
      enrolments = await enrolEntrants(entered, deps, deps.clock());
    }
    putMetrics({ WorkflowsEnrolled: enrolments.reduce((n, e) => n + e.enrolled, 0) });
    return { enrolments };
  };

export const handler = lambdaHandler(() => {
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
