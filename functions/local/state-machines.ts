import "./promise-with-resolvers.js";
import { App } from "aws-cdk-lib";
import { StateMachine } from "aws-local-stepfunctions";
import { ClvStack, type ClvStackProps } from "../../lib/clv-stack.js";
import { LOCAL_SYNTH_CONTEXT } from "../../lib/lambda-function.js";

/** An Amazon States Language definition, as `cdk synth` emits it with its ARNs filled in. */
export type StateMachineDefinition = { StartAt: string; States: Record<string, StateDefinition> } & Record<string, unknown>;
type StateDefinition = { Type: string; Resource?: string; ItemProcessor?: StateMachineDefinition; Iterator?: StateMachineDefinition } & Record<string, unknown>;

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Synthesized stacks by their props: synthesis costs seconds of CPU, and a run (the demo) asks several times. */
const synthesized = new Map<string, Resources>();

/**
 * The stack's CloudFormation resources, synthesized in this process the way `cdk synth` does it
 * (Lambda bundling skipped: locally the handlers run from source). Made once per process and props.
 */
export function synthesizedResources(props: ClvStackProps = {}): Resources {
  const key = JSON.stringify(props);
  let resources = synthesized.get(key);
  if (resources) return resources;
  // CloudFormation validation belongs to `cdk synth` (CI runs it); here it would cost seconds per run.
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { "aws:cdk:bundling-stacks": [], "aws:cdk:disable-asset-staging": true, [LOCAL_SYNTH_CONTEXT]: true },
  });
  const stack = new ClvStack(app, "Local", { ...props, env: { account: ACCOUNT, region: REGION } });
  resources = app.synth().getStackByName(stack.stackName).template.Resources as Resources;
  synthesized.set(key, resources);
  return resources;
}

/**
 * The definition of the stack's state machine whose logical id starts with `logicalIdPrefix`, with
 * every CloudFormation reference resolved to a made-up ARN: the same JSON Step Functions would run.
 */
export function synthesizedDefinition(logicalIdPrefix: string, resources = synthesizedResources()): StateMachineDefinition {
  const found = Object.entries(resources).filter(([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one state machine named ${logicalIdPrefix}…, found ${found.map(([id]) => id).join(", ") || "none"}`);
  return JSON.parse(resolve(found[0]![1].Properties!.DefinitionString)) as StateMachineDefinition;
}

/** Fn::Join, Ref and Fn::GetAtt as CloudFormation would resolve them, with local stand-ins for the ARNs. */
function resolve(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, unknown>;
  if (v["Fn::Join"]) {
    const [separator, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  if (v["Fn::GetAtt"]) {
    const [logicalId] = v["Fn::GetAtt"] as [string, string];
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
  }
  if (v.Ref === "AWS::Partition") return "aws";
  if (v.Ref === "AWS::Region") return REGION;
  if (v.Ref === "AWS::AccountId") return ACCOUNT;
  if (typeof v.Ref === "string") return `arn:aws:states:${REGION}:${ACCOUNT}:local:${v.Ref}`;
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a state machine definition`);
}

/** Every Task state's name, nested Map processors included. */
export function taskStateNames(definition: StateMachineDefinition): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = state.ItemProcessor ?? state.Iterator;
    return [...(state.Type === "Task" ? [name] : []), ...(nested ? taskStateNames(nested) : []), ...((state.Branches as StateMachineDefinition[] | undefined) ?? []).flatMap(taskStateNames)];
  });
}

/** Validating a definition costs more than running it: once per definition, however many executions. */
const machines = new WeakMap<StateMachineDefinition, StateMachine>();
function machineOf(definition: StateMachineDefinition): StateMachine {
  let machine = machines.get(definition);
  if (!machine) machines.set(definition, (machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } })));
  return machine;
}

export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalRunOptions {
  /** The local handler of each Task state, by state name: every Task state must have one. */
  tasks: Record<string, LocalTaskHandler>;
  /** Wait states shortened locally, by state name, in milliseconds. */
  waits?: Record<string, number>;
  /** Retry pauses shortened locally, by state name, in milliseconds. */
  retryIntervals?: Record<string, number>;
  /** The execution's name, as $$.Execution.Name. */
  executionName?: string;
}

/**
 * Runs a synthesized definition under aws-local-stepfunctions, each Task through its local handler
 * (the same function the Lambda runs). A Task without a handler is an error before the run starts,
 * so a local run never reaches for AWS.
 */
export async function runLocally<T = unknown>(definition: StateMachineDefinition, input: unknown, options: LocalRunOptions): Promise<T> {
  const missing = taskStateNames(definition).filter((name) => !options.tasks[name]);
  if (missing.length > 0) throw new Error(`no local handler for the Task state(s) ${missing.join(", ")}`);
  const machine = machineOf(definition);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: options.tasks as never,
      ...(options.waits && { waitTimeOverrides: options.waits }),
      ...(options.retryIntervals && { retryIntervalOverrides: options.retryIntervals }),
    },
    context: {
      Execution: { Input: input, StartTime: new Date().toISOString(), Name: options.executionName ?? "local", Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:local:${options.executionName ?? "local"}` },
    } as never,
  });
  return (await execution.result) as T;
}
