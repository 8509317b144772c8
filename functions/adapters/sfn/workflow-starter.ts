import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import type { WorkflowExecutionInput, WorkflowStarter } from "../../domain/workflows/workflow-steps.js";

/**
 * Starts executions of the workflows' state machines. Step Functions treats a second start with the
 * same name and input as the same execution, and answers ExecutionAlreadyExists to a different
 * input: either way the contact is not enrolled twice.
 */
export class StepFunctionsStarter implements WorkflowStarter {
  constructor(
    private readonly stateMachineArns: ReadonlyMap<string, string>,
    private readonly client: Pick<SFNClient, "send"> = new SFNClient({}),
  ) {}

  async start(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<"started" | "already-started"> {
    const stateMachineArn = this.stateMachineArns.get(workflow.id);
    if (!stateMachineArn) throw new Error(`no state machine for workflow ${workflow.id}`);
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return "started";
    } catch (error) {
      if ((error as { name?: string }).name === "ExecutionAlreadyExists") return "already-started";
      throw error;
    }
  }
}
