import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { METRIC_UNITS } from "../../functions/adapters/logging/metrics.js";
import { deployParameters } from "../../lib/deploy-parameters.js";
import { LAMBDA_DIED_ERRORS, NIGHTLY_STATES } from "../../lib/nightly-scoring.js";
import { stackTemplate } from "../support/test-stack.js";

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

describe("operations: alarms, their topic, the dashboard", () => {
  const template = stackTemplate("Ops", { alarmEmail: "ops@shop.example" });
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const alarms = ofType("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
  const alarm = (name: string) => alarms.find((a) => a.AlarmName === `Ops-${name}`)!;
  const [[topicId]] = ofType("AWS::SNS::Topic") as [[string, Resource]];

  it("rings an encrypted SNS topic, which mails the alarm address", () => {
    // Act and assess
    expect(alarms.length).toBeGreaterThanOrEqual(10);
    for (const a of alarms) expect(a.AlarmActions, a.AlarmName).toEqual([{ Ref: topicId }]);
    const topic = resources[topicId!]!.Properties;
    const keyId = (topic.KmsMasterKeyId as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    // CloudWatch must be able to use the key, or the alarm's notification is dropped.
    expect(JSON.stringify(resources[keyId]!.Properties.KeyPolicy)).toContain("cloudwatch.amazonaws.com");
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@shop.example", TopicArn: { Ref: topicId } });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]) },
    });
    expect(stackTemplate("Quiet").findResources("AWS::SNS::Subscription")).toEqual({});
  });

  it("lets CloudWatch alarms of this account publish to the topic, over TLS only", () => {
    // Prepare: the topic's one policy (it replaces SNS's default policy, which would let CloudWatch publish).
    const policies = ofType("AWS::SNS::TopicPolicy").map(([, p]) => p.Properties);
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.PolicyDocument.Statement as { Effect: string; Principal: unknown; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    expect(policies[0]!.Topics).toEqual([{ Ref: topicId }]);
    // Assess: one Allow, for CloudWatch of this account only, to publish to this topic.
    const allows = statements.filter((s) => s.Effect === "Allow");
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: { Ref: topicId },
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      }),
    ]);
    // The Deny without TLS still covers every action and principal.
    expect(statements.filter((s) => s.Effect === "Deny")).toEqual([
      expect.objectContaining({ Principal: "*", Action: "sns:Publish", Resource: { Ref: topicId }, Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  it("alarms when a nightly run fails, times out or is aborted", () => {
    // Prepare
    const night = alarm("nightly-run-failed");
    const [machineId] = ofType("AWS::StepFunctions::StateMachine").find(([id]) => id.startsWith("NightlyStateMachine"))!;
    // Act
    const used = (night.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[]).filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
    // Assess
    expect(used.map((m) => m.MetricName).sort()).toEqual(["ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"]);
    for (const m of used) expect(m.Dimensions).toEqual([{ Name: "StateMachineArn", Value: { Ref: machineId } }]);
    expect(night).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching" });
  });

  it("alarms as soon as any dead-letter queue holds a message: every queue of the stack is one", () => {
    // Act
    const queues = ofType("AWS::SQS::Queue").map(([id]) => id);
    // Assess
    expect(queues.length).toBe(5);
    for (const queue of queues) {
      const watching = alarms.filter((a) => a.MetricName === "ApproximateNumberOfMessagesVisible" && JSON.stringify(a.Dimensions).includes(`"${queue}"`));
      expect(watching, queue).toHaveLength(1);
      expect(watching[0]).toMatchObject({ Namespace: "AWS/SQS", Statistic: "Maximum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    }
  });

  it("alarms on low coupon stock and on a high bounce rate, from the handlers' own metrics", () => {
    // Act and assess
    expect(alarm("coupon-stock-low")).toMatchObject({ Namespace: "Clv/Ops", MetricName: "CouponStockLow", Threshold: 1 });
    const bounce = alarm("bounce-rate-high");
    expect(bounce.Threshold).toBe(5);
    const expression = (bounce.Metrics as { Expression?: string }[]).find((m) => m.Expression)!.Expression;
    expect(expression).toBe("IF(FILL(sent, 0) >= 20, 100 * FILL(bounces, 0) / FILL(sent, 0), 0)");
    expect(JSON.stringify(bounce.Metrics)).toContain('"MetricName":"EmailsSent","Namespace":"Clv/Ops"');
    expect(JSON.stringify(bounce.Metrics)).toContain('"MetricName":"Bounces","Namespace":"Clv/Ops"');
    expect(alarm("ses-account-bounce-rate")).toMatchObject({ Namespace: "AWS/SES", MetricName: "Reputation.BounceRate", Threshold: 0.05 });
    expect(alarm("api-server-errors")).toMatchObject({ Namespace: "AWS/ApiGateway", MetricName: "5xx" });
  });

  it("puts every metric the handlers write in the namespace the alarms read", () => {
    // Prepare
    const functions = ofType("AWS::Lambda::Function").filter(([id]) => !id.startsWith("BucketNotificationsHandler"));
    // Act and assess
    for (const [id, fn] of functions) expect(fn.Properties.Environment.Variables.METRICS_NAMESPACE, id).toBe("Clv/Ops");
  });

  it("has a dashboard of the night, the model, segments, e-mail, coupons, queues and the API", () => {
    // Prepare
    const [[, dashboard]] = ofType("AWS::CloudWatch::Dashboard") as [[string, Resource]];
    // Act
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    // Assess
    for (const name of ["ContactsScored", "ScoresWritten", "ModelLogLikelihood", "HoldoutMeanSquaredError", "HoldoutMeanAbsoluteError", "EmailsSent", "Bounces", "Complaints"] as const) {
      expect(METRIC_UNITS[name]).toBeDefined();
      expect(body).toContain(`\\"${name}\\"`);
    }
    // Segments and coupon sets come and go: a search per dimension graphs whichever exist.
    expect(body).toMatch(/SEARCH\('\{Clv\/Ops,SegmentId\} MetricName=\\+"SegmentSize\\+"', 'Maximum', 86400\)/);
    expect(body).toMatch(/SEARCH\('\{Clv\/Ops,CouponSetId\} MetricName=\\+"CouponsLeft\\+"', 'Minimum', 3600\)/);
    expect(body).toContain("ApproximateNumberOfMessagesVisible");
    expect(body).toContain('\\"type\\":\\"alarm\\"');
  });

  it("counts the ERROR lines of every Lambda's structured log", () => {
    // Prepare
    const logGroups = ofType("AWS::Lambda::Function")
      .filter(([id]) => !id.startsWith("BucketNotificationsHandler"))
      .map(([, fn]) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    // Act
    const filters = ofType("AWS::Logs::MetricFilter").map(([, f]) => f.Properties);
    // Assess
    expect(filters.map((f) => (f.LogGroupName as { Ref: string }).Ref).sort()).toEqual(logGroups.sort());
    for (const f of filters) expect(f).toMatchObject({ FilterPattern: '{ $.level = "ERROR" }', MetricTransformations: [{ MetricName: "ErrorsLogged", MetricNamespace: "Clv/Ops" }] });
  });
});

describe("dead-letter queues on every asynchronous invocation", () => {
  const template = stackTemplate("Async");
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const fn = (prefix: string) => Object.entries(resources).find(([id, r]) => r.Type === "AWS::Lambda::Function" && id.startsWith(prefix))!;

  it("S3 → importer and EventBridge → SES feedback: a Lambda dead-letter queue", () => {
    // Act and assess
    for (const prefix of ["BulkImportImporter", "EmailFeedback"]) expect(fn(prefix)[1].Properties.DeadLetterConfig?.TargetArn, prefix).toBeDefined();
  });

  it("the table's stream → contact changes and enrolment: an on-failure destination", () => {
    // Act
    const mappings = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::EventSourceMapping");
    // Assess
    expect(mappings).toHaveLength(2);
    for (const m of mappings) expect(m.Properties).toMatchObject({ DestinationConfig: { OnFailure: { Destination: expect.anything() } }, MaximumRetryAttempts: 3, BisectBatchOnFunctionError: true });
  });

  it("the nightly schedule → the state machine: the scheduler's dead-letter queue", () => {
    template.hasResourceProperties("AWS::Scheduler::Schedule", { Target: { DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: { MaximumRetryAttempts: 3 } } });
  });

  it("retries a scan segment whose Lambda died (out of memory, timeout) before failing the night", () => {
    // Prepare
    const [, machine] = Object.entries(resources).find(([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith("NightlyStateMachine"))!;
    const definition = JSON.parse(
      (machine.Properties.DefinitionString as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1].map((p) => (typeof p === "string" ? p : "ARN")).join(""),
    ) as { States: Record<string, { ItemProcessor: { States: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts: number }[] }> } }> };
    // Act
    const score = definition.States[NIGHTLY_STATES.scoreSegments]!.ItemProcessor.States[NIGHTLY_STATES.scoreSegment]!;
    // Assess
    expect(score.Retry).toContainEqual(expect.objectContaining({ ErrorEquals: LAMBDA_DIED_ERRORS, MaxAttempts: 2 }));
  });
});

describe("encryption at rest, everywhere data is kept", () => {
  const template = stackTemplate("AtRest");
  const resources = Object.entries(template.toJSON().Resources as Record<string, Resource>);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

  it("the table (AWS-managed KMS key)", () => {
    // Act and assess
    for (const [id, t] of ofType("AWS::DynamoDB::GlobalTable")) expect(t.Properties.SSESpecification, id).toEqual({ SSEEnabled: true, SSEType: "KMS" });
  });

  it("every bucket (SSE-S3), refusing plain HTTP", () => {
    // Act
    const buckets = ofType("AWS::S3::Bucket");
    // Assess
    expect(buckets.length).toBeGreaterThanOrEqual(1);
    for (const [id, b] of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, id).toMatch(/^(AES256|aws:kms)$/);
      const policy = ofType("AWS::S3::BucketPolicy").find(([, p]) => JSON.stringify(p.Properties.Bucket).includes(id));
      expect(JSON.stringify(policy?.[1].Properties.PolicyDocument), id).toContain('"aws:SecureTransport":"false"');
    }
  });

  it("every queue (SSE-SQS) and the alarm topic (a customer-managed KMS key, rotated)", () => {
    // Act and assess
    for (const [id, q] of ofType("AWS::SQS::Queue")) expect(q.Properties.SqsManagedSseEnabled === true || q.Properties.KmsMasterKeyId !== undefined, id).toBe(true);
    for (const [id, t] of ofType("AWS::SNS::Topic")) expect(t.Properties.KmsMasterKeyId, id).toBeDefined();
    for (const [id, k] of ofType("AWS::KMS::Key")) expect(k.Properties.EnableKeyRotation, id).toBe(true);
  });

  it("the unsubscribe secret in Secrets Manager (encrypted by it); the API keys only as hashes", () => {
    // Act and assess
    expect(ofType("AWS::SecretsManager::Secret")).toHaveLength(1);
    for (const [, p] of ofType("AWS::SSM::Parameter")) expect(p.Properties.Description).toMatch(/hashes/);
  });
});

describe("the HTTP API's stage", () => {
  const template = stackTemplate("Stage");

  it("throttles each route (429 beyond 100 requests a second, bursts of 200) and logs every request", () => {
    // Prepare
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("\\$context.requestId") },
    });
    // Act
    const [stage] = Object.values(template.findResources("AWS::ApiGatewayV2::Stage"));
    // Assess
    // Who, which route, the answer: never a body or the query string, which holds the unsubscribe token.
    expect(stage!.Properties.AccessLogSettings.Format).not.toMatch(/body|querystring|\$context\.path/i);
  });
});

describe("deploy parameters (bin/app.ts reads them from CDK context)", () => {
  const context = (values: Record<string, string>) => (name: string) => values[name];

  it("turns context strings into the stack's settings, and each setting reaches the stack", () => {
    // Act
    const props = deployParameters(
      context({
        apiKeyHashes: `${"ab".repeat(32)}, ${"cd".repeat(32)}`,
        storeName: "Tienda",
        storeUrl: "https://tienda.example",
        couponUrl: "https://tienda.example/discount/{code}",
        senderIdentity: "tienda.example",
        senderAddress: "Tienda <hola@tienda.example>",
        timeZone: "Europe/Madrid",
        nightlyHour: "4",
        alarmEmail: "ops@tienda.example",
      }),
    );
    // Assess
    expect(props).toMatchObject({ apiKeyHashes: ["ab".repeat(32), "cd".repeat(32)], nightlyHour: 4, timeZone: "Europe/Madrid" });
    const template = stackTemplate("Deployed", props);
    template.hasResourceProperties("AWS::Scheduler::Schedule", { ScheduleExpression: "cron(0 4 * * ? *)", ScheduleExpressionTimezone: "Europe/Madrid" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ EMAIL_FROM: "Tienda <hola@tienda.example>", STORE_NAME: "Tienda", STORE_URL: "https://tienda.example", COUPON_URL: "https://tienda.example/discount/{code}", TIME_ZONE: "Europe/Madrid" }),
      },
    });
    template.hasResourceProperties("AWS::SSM::Parameter", { Value: `${"ab".repeat(32)},${"cd".repeat(32)}` });
    template.hasResourceProperties("AWS::SNS::Subscription", { Endpoint: "ops@tienda.example" });
    expect(JSON.stringify(template.findResources("AWS::IAM::Policy"))).toContain(`"ses:FromAddress":["*@tienda.example"]`);
  });

  it("needs none of them to synthesize, and names each bad one", () => {
    // Act and assess
    expect(deployParameters(() => undefined)).toMatchObject({ apiKeyHashes: [] });
    expect(() => deployParameters(context({ nightlyHour: "25", timeZone: "Mars/Olympus", alarmEmail: "nobody", apiKeyHashes: "not-a-hash", couponUrl: "https://x.example/" }))).toThrow(
      /-c apiKeyHashes\.0: must be SHA-256.*-c couponUrl: must contain \{code\}.*-c timeZone: is not an IANA time zone.*-c nightlyHour: .*-c alarmEmail: is not an e-mail address/,
    );
  });
});
