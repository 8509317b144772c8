import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CouponStore } from "../adapters/dynamodb/coupon-store.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import type { EmailDependencies } from "../domain/email/send-workflow-email.js";
import type { WorkflowDefinition } from "../domain/workflows/workflow-definition.js";
import type { EmailTemplates, WorkflowExecutionInput, WorkflowStarter } from "../domain/workflows/workflow-steps.js";
import { emailTemplate } from "../adapters/files/email-files.js";
import { loadWorkflows } from "../adapters/files/workflow-files.js";
import { assignCouponTask } from "../handlers/workflow-assign-coupon.js";
import { checkPurchasesTask } from "../handlers/workflow-check-purchases.js";
import { holdOutTask } from "../handlers/workflow-hold-out.js";
import { recordOutcomeTask } from "../handlers/workflow-record-outcome.js";
import { sendEmailTask } from "../handlers/workflow-send-email.js";
import { WORKFLOW_STATES } from "../../lib/state-names.js";
import { runLocally, shippedDefinition, type LocalTaskHandler, type StateMachineDefinition } from "./state-machines.js";

export interface LocalWorkflowDependencies {
  store: DynamoDbStore;
  /** The table's client, for the state machine's own DynamoDB GetItem tasks. */
  client: Pick<DynamoDBClient, "send">;
  tableName: string;
  coupons: CouponStore;
  email: EmailDependencies;
  /** The time executions start at. */
  clock: () => number;
  /**
   * Called when an execution's Wait ends, before anything after it runs: the demo and the tests do
   * what happens during the 7 days here (a purchase, an unsubscribe). Locally the Wait itself takes
   * no time, and the steps after it see the clock moved on by the whole wait.
   */
  whenWaitEnds?: (execution: { workflowId: string; contactId: string; heldOut: boolean }) => Promise<void>;
  /** The e-mails by name; those of emails/ unless a test says otherwise. */
  templates?: EmailTemplates;
  /** Replaces a Task's handler (tests: inject a fault). */
  tasks?: Record<string, LocalTaskHandler>;
  /** Told of each execution as it ends, for a progress bar. */
  onExecutionEnd?: (execution: LocalExecution) => void;
}

export interface LocalExecution {
  name: string;
  workflowId: string;
  contactId: string;
  status: "succeeded" | "failed";
  error?: string;
}

const RETRIED_STATES = Object.values(WORKFLOW_STATES);

/**
 * Executions run at once locally. On AWS each task is its own Lambda; here they share one process
 * and the table's 50 sockets, and hundreds started together queue their requests until a task outlives
 * its state's TimeoutSeconds (which aws-local-stepfunctions counts in wall time) and the execution
 * fails with States.Timeout on a busy machine. A few at a time keep every task short and lose no speed:
 * the work is CPU-bound.
 */
const EXECUTIONS_AT_ONCE = 16;

/**
 * Starts workflow executions locally: the state machine `cdk synth` emits for the workflow, under
 * aws-local-stepfunctions, each Lambda task through its handler in this process, the DynamoDB
 * GetItem tasks against the local table. A name already started is a no-op, as in Step Functions.
 */
export class LocalWorkflows implements WorkflowStarter {
  private readonly executions = new Map<string, Promise<LocalExecution>>();
  private readonly shipped: boolean;
  private readonly definitions = new Map<string, Promise<StateMachineDefinition>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly workflows: readonly WorkflowDefinition[],
    private readonly deps: LocalWorkflowDependencies,
  ) {
    this.shipped = asShipped(workflows);
  }

  /**
   * The workflow's state machine in the stack synthesized with these workflows, as `cdk deploy` would
   * make it: the shipped stack's, kept between runs (shippedDefinition), when they are workflows/ as
   * shipped; otherwise a stack of their own, synthesized in this process.
   */
  private definitionOf(workflow: WorkflowDefinition): Promise<StateMachineDefinition> {
    let definition = this.definitions.get(workflow.id);
    if (!definition) {
      const prefix = workflowLogicalIdPrefix(workflow.id);
      definition = this.shipped
        ? shippedDefinition(prefix)
        : import("./stack-synth.js").then(({ synthesizedDefinition, synthesizedResources }) => synthesizedDefinition(prefix, synthesizedResources({ workflows: this.workflows })));
      this.definitions.set(workflow.id, definition);
    }
    return definition;
  }

  async start(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<"started" | "already-started"> {
    if (this.executions.has(name)) return "already-started";
    this.executions.set(name, this.run(workflow, name, input));
    return "started";
  }

  /** Every execution started so far, once each has ended. */
  async settled(): Promise<LocalExecution[]> {
    let seen = -1;
    // Executions may be started while others run; wait until none is added.
    while (seen !== this.executions.size) {
      seen = this.executions.size;
      await Promise.all(this.executions.values());
    }
    return Promise.all(this.executions.values());
  }

  get started(): number {
    return this.executions.size;
  }

  private async run(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<LocalExecution> {
    if (this.running >= EXECUTIONS_AT_ONCE) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const execution = await this.execute(workflow, name, input);
      this.deps.onExecutionEnd?.(execution);
      return execution;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async execute(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<LocalExecution> {
    const start = this.deps.clock();
    let now = start;
    const clock = () => now;
    const { store, coupons, email, tableName } = this.deps;
    const getItem: LocalTaskHandler = async (request) => {
      const { Key, ConsistentRead } = request as { Key: Record<string, { S: string }>; ConsistentRead?: boolean };
      const { Item } = await this.deps.client.send(new GetItemCommand({ TableName: tableName, Key, ...(ConsistentRead !== undefined && { ConsistentRead }) }));
      return Item ? { Item } : {};
    };
    const checkPurchases = checkPurchasesTask({ store, enrolments: store, clock });
    const record = recordOutcomeTask({ enrolments: store, clock });
    const send = sendEmailTask({ email: async () => email, enrolments: store, clock, templates: this.deps.templates ?? ((name) => emailTemplate(name)) });
    const afterTheWait: LocalTaskHandler = async (request) => {
      now = start + workflow.waitSeconds * 1000;
      await this.deps.whenWaitEnds?.({ workflowId: workflow.id, contactId: input.contactId, heldOut: input.heldOut });
      return checkPurchases(request);
    };
    const tasks: Record<string, LocalTaskHandler> = {
      [WORKFLOW_STATES.checkMembership]: getItem,
      [WORKFLOW_STATES.recheckMembership]: getItem,
      [WORKFLOW_STATES.assignCoupon]: assignCouponTask({ coupons, enrolments: store, clock }),
      [WORKFLOW_STATES.sendCoupon]: send,
      [WORKFLOW_STATES.sendReminder]: send,
      [WORKFLOW_STATES.checkPurchases]: afterTheWait,
      [WORKFLOW_STATES.checkHeldOut]: holdOutTask({ store, enrolments: store, clock }),
      [WORKFLOW_STATES.checkPurchasesHeldOut]: afterTheWait,
      [WORKFLOW_STATES.recordHeldOut]: record,
      [WORKFLOW_STATES.notInSegment]: record,
      [WORKFLOW_STATES.leftSegment]: record,
      [WORKFLOW_STATES.recordPurchased]: record,
      [WORKFLOW_STATES.recordFailure]: record,
      ...this.deps.tasks,
    };
    const execution = { name, workflowId: workflow.id, contactId: input.contactId };
    try {
      await runLocally(await this.definitionOf(workflow), input, {
        tasks,
        executionName: name,
        waits: { [WORKFLOW_STATES.wait]: 0, [WORKFLOW_STATES.waitHeldOut]: 0 },
        retryIntervals: Object.fromEntries(RETRIED_STATES.map((state) => [state, 0])),
      });
      return { ...execution, status: "succeeded" };
    } catch (error) {
      return { ...execution, status: "failed", error: String((error as Error).message ?? error) };
    }
  }
}

/** Whether each workflow is its file in workflows/ unchanged, which the default stack holds (lib/clv-stack.ts). */
function asShipped(workflows: readonly WorkflowDefinition[]): boolean {
  let shipped: WorkflowDefinition[];
  try {
    shipped = loadWorkflows();
  } catch {
    return false; // a broken file elsewhere in workflows/: these workflows get a stack of their own
  }
  return workflows.every((workflow) => JSON.stringify(shipped.find((s) => s.id === workflow.id)) === JSON.stringify(workflow));
}

/** CloudFormation logical ids keep only letters and digits of the construct path (lib/reactivation-workflow.ts). */
export const workflowLogicalIdPrefix = (workflowId: string) => `WorkflowsWorkflow${workflowId.replace(/[^A-Za-z0-9]/g, "")}StateMachine`;
