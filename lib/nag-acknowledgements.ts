import { Stack, Validations, type IAspect } from "aws-cdk-lib";
import { CfnPolicy } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";

/** A wildcard the stack's roles need, and why: every IAM wildcard cdk-nag finds must match one. */
export interface WildcardGrant {
  /** Every action of the statement must match. */
  actions: RegExp;
  /** Every resource of the statement must match (as cdk-nag writes it: <LogicalId.Attribute>). */
  resources: RegExp;
  reason: string;
}

export const WILDCARD_GRANTS: readonly WildcardGrant[] = [
  {
    actions: /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
    resources: /^\*$/,
    reason: "X-Ray tracing (on for every Lambda and state machine): X-Ray's write actions take no resource-level permissions.",
  },
  {
    actions: /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
    resources: /^\*$/,
    reason: "A state machine's logging to its own log group goes through CloudWatch Logs' vended-log delivery, whose actions take no resource-level permissions.",
  },
  {
    actions: /^lambda:InvokeFunction$/,
    resources: /^<[A-Za-z0-9]+\.Arn>(:\*)?$/,
    reason: "A state machine invokes its own step Lambdas; the grant covers each named function and its versions and aliases (<function ARN>:*), no other function.",
  },
  {
    actions: /^states:(StartExecution|DescribeExecution|StopExecution|RedriveExecution)$/,
    resources: /^arn:<AWS::Partition>:states:[^:]+:[^:]+:(execution|stateMachine):.+$/,
    reason: "The nightly Distributed Map runs each scan segment as a child execution of its own state machine, named only at run time (execution:<machine>:* and <machine>/*:*).",
  },
  {
    actions: /^ses:SendEmail$/,
    resources: /^arn:<AWS::Partition>:ses:[^:]+:[^:]+:(identity\/\*|configuration-set\/.+)$/,
    reason:
      "In the SES sandbox a send is authorized against each recipient's verified identity as well as the sender's, and recipients are known only at send time; the statement is limited by ses:FromAddress to the store's own sender address(es) and to the stack's configuration set.",
  },
  {
    actions: /^s3:(GetObject|PutObject|AbortMultipartUpload)$/,
    resources: /^<[A-Za-z0-9]+\.Arn>\/[A-Za-z0-9_-]+\/\*$/,
    reason: "Objects under one key prefix of the stack's own bucket (imports/, reports/, exports/): the keys are the store's file names, known only when a file arrives.",
  },
];

/** cdk-nag's way of writing a resource (its flattenCfnReference), so that findings match its ids. */
function flatten(value: unknown): string {
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/\}/g, ">");
  const v = value as Record<string, unknown>;
  if (Array.isArray(v["Fn::Join"])) {
    const [separator, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if (v["Fn::Sub"] !== undefined) return flatten(v["Fn::Sub"]);
  if (Array.isArray(v["Fn::GetAtt"])) {
    const [resource, attribute] = v["Fn::GetAtt"] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (v["Fn::ImportValue"] !== undefined) return flatten(v["Fn::ImportValue"]);
  if (v.Ref !== undefined) return `<${flatten(v.Ref)}>`;
  return JSON.stringify(value);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 (wildcard permission) findings of a policy, each with the
 * reason of the WILDCARD_GRANTS entry that explains the statements it comes from. A wildcard in a
 * statement no entry explains is left alone, and the nag test fails on it: there is no blanket
 * acknowledgement of IAM5 anywhere.
 */
export class WildcardAcknowledgements implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
    const findings = new Map<string, { explained: boolean; reasons: Set<string> }>();
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== "Allow") continue;
      const actions = [statement.Action].flat();
      const resources = [statement.Resource].flat().map(flatten);
      const grant = WILDCARD_GRANTS.find((g) => actions.every((a) => g.actions.test(a)) && resources.every((r) => g.resources.test(r)));
      const wildcards = [...actions.filter((a) => a.includes("*")).map((a) => `Action::${a}`), ...resources.filter((r) => r.includes("*")).map((r) => `Resource::${r}`)];
      for (const finding of wildcards) {
        const entry = findings.get(finding) ?? { explained: true, reasons: new Set<string>() };
        if (grant) entry.reasons.add(grant.reason);
        else entry.explained = false;
        findings.set(finding, entry);
      }
    }
    for (const [finding, { explained, reasons }] of findings) {
      if (explained) Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: [...reasons].join(" ") });
    }
  }
}
