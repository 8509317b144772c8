import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import type { NightlySummary, ScanSegmentResult } from "../domain/nightly/nightly-scoring.js";
import type { WorkflowDefinition } from "../domain/workflows/workflow-definition.js";
import type { WorkflowStarter } from "../domain/workflows/workflow-steps.js";
import { enrolTask, type EnrolOutput } from "../handlers/workflow-enrol.js";
import { finishNight } from "../handlers/nightly-finish.js";
import { planNight, type NightlyPlanOutput } from "../handlers/nightly-plan.js";
import { scoreSegment } from "../handlers/nightly-score-segment.js";
import { NIGHTLY_STATES } from "../../lib/state-names.js";
import { runLocally, shippedDefinition, type LocalTaskHandler } from "./state-machines.js";

export interface NightlyExecution {
  plan: NightlyPlanOutput;
  results: ScanSegmentResult[];
  summary: NightlySummary;
  enrolments: EnrolOutput;
}

export interface LocalNightlyOptions {
  scanSegments?: number;
  /** The workflows members are enrolled in after the night, and what starts their executions; none by default. */
  workflows?: { definitions: readonly WorkflowDefinition[]; starter: WorkflowStarter };
  /** Replaces a Task's handler (tests: inject a fault). */
  tasks?: Record<string, LocalTaskHandler>;
  /** Told how the night moves, for a progress bar. */
  progress?: NightlyProgress;
}

/** How the night moves: contacts read for the plan, the plan made, contacts scored. */
export interface NightlyProgress {
  /** Contacts with orders read for the plan's fold since the last call (the first night reads the table twice). */
  read?(contacts: number): void;
  /** The models are fitted: this many contacts with orders are to be scored. */
  planned?(contacts: number): void;
  /** Contacts scored since the last call. */
  scored?(contacts: number): void;
}

/**
 * The nightly state machine exactly as `cdk synth` emits it, run by aws-local-stepfunctions with each
 * Lambda's handler called in this process against the local table.
 */
export async function runNightlyLocally(store: DynamoDbStore, now: number, options: LocalNightlyOptions = {}): Promise<NightlyExecution> {
  const { progress } = options;
  const watched = progress ? watchedScans(store, progress) : store;
  const deps = { store: async () => watched, clock: () => now };
  const plan = planNight({ ...deps, scanSegments: options.scanSegments ?? 4 });
  return runLocally<NightlyExecution>(
    await shippedDefinition("Nightly"),
    { scheduledTime: new Date(now).toISOString() },
    {
      tasks: {
        [NIGHTLY_STATES.plan]: async (event) => {
          const planned = await plan(event);
          if (progress?.planned) progress.planned((await store.getNightlyPlan(planned.runId))?.run.contacts ?? 0);
          return planned;
        },
        [NIGHTLY_STATES.scoreSegment]: scoreSegment(deps),
        [NIGHTLY_STATES.finish]: finishNight(deps),
        [NIGHTLY_STATES.enrol]: enrolTask({
          workflows: options.workflows?.definitions ?? [],
          starter: options.workflows?.starter ?? { start: async () => "already-started" },
          enrolments: store,
          members: store,
          clock: () => now,
        }),
        ...options.tasks,
      },
      // Retries wait seconds on AWS; locally a retry follows at once.
      retryIntervals: Object.fromEntries(Object.values(NIGHTLY_STATES).map((name) => [name, 0])),
    },
  );
}

/** The store, its scans telling `progress` what each page held. */
function watchedScans(store: DynamoDbStore, progress: NightlyProgress): DynamoDbStore {
  const watched = Object.create(store) as DynamoDbStore;
  watched.scanHistories = async function* (segment, totalSegments) {
    for await (const page of store.scanHistories(segment, totalSegments)) {
      progress.read?.(page.length);
      yield page;
    }
  };
  watched.scanContactStates = async function* (segment, totalSegments) {
    for await (const page of store.scanContactStates(segment, totalSegments)) {
      yield page;
      // Counted once the page is scored and written: the generator resumes when the scoring asks for the next one.
      progress.scored?.(page.length);
    }
  };
  return watched;
}
