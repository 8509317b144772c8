import "./promise-with-resolvers.js";
import { App } from "aws-cdk-lib";
import { ClvStack, type ClvStackProps } from "../../lib/clv-stack.js";
import { LOCAL_SYNTH_CONTEXT } from "../../lib/lambda-function.js";
import { definitionByPrefix, LOCAL_ACCOUNT as ACCOUNT, LOCAL_REGION as REGION, type StateMachineDefinition } from "./state-machines.js";

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

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
  return definitionByPrefix(stateMachineDefinitions(resources), logicalIdPrefix);
}

/** Every state machine of the stack by logical id, resolved as synthesizedDefinition resolves one. */
export function stateMachineDefinitions(resources = synthesizedResources()): Record<string, StateMachineDefinition> {
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")
      .map(([id, r]) => [id, JSON.parse(resolve(r.Properties!.DefinitionString)) as StateMachineDefinition]),
  );
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
