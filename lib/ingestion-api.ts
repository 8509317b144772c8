import { CfnOutput, Duration, Validations } from "aws-cdk-lib";
import { CfnStage, HttpApi, HttpMethod, HttpNoneAuthorizer } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Grant, PolicyStatement, type IGrantable } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret, type ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { API_THROTTLE } from "../functions/handlers/http/http-json.js";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { handlerFunction, withoutUndefined } from "./lambda-function.js";
import { workflowsInBundle } from "./workflows-in-bundle.js";
import type { WorkflowDefinition } from "../functions/domain/workflows/workflow-definition.js";

/** How long API Gateway keeps an authorizer's answer for one key. */
export const API_KEY_RESULT_CACHE = Duration.seconds(30);

/** GetSecretValue on the one secret: all the handlers call (secret.grantRead adds DescribeSecret, never called). */
export function grantSecretValue(secret: ISecret, grantee: IGrantable): Grant {
  return Grant.addToPrincipal({ grantee, actions: ["secretsmanager:GetSecretValue"], resourceArns: [secret.secretArn] });
}

export interface IngestionApiProps {
  /** The store's table, which the routes read and write. */
  readonly table: ITableV2;
  /** SHA-256 hex digests of the store's API keys (`npm run -s clv -- api-key` makes a key and its hash). */
  readonly apiKeyHashes: readonly string[];
  /**
   * Requests per second per route, steady and burst, beyond which API Gateway answers 429.
   * @default 100 a second, bursts of 200 (API_THROTTLE, functions/handlers/http/http-json.ts)
   */
  readonly throttle?: { readonly ratePerSecond: number; readonly burst: number };
  /**
   * The store as its unsubscribe pages name it.
   * @default "The shop" (the handler's, functions/handlers/http/routes.ts)
   */
  readonly storeName?: string;
  /**
   * The workflows deployed: where GET /contacts/{id} finds a contact's enrolments and DELETE erases them,
   * and what GET /workflows and GET /workflows/{id} report on (funnel and lift, from their enrolment records).
   * @default none
   */
  readonly workflows?: readonly WorkflowDefinition[];
}

/**
 * The HTTP API a store's platform sends its data to: contacts (and their view and erasure), orders,
 * e-mail events; and the unsubscribe link's page and one-click unsubscribe. Every route but unsubscribe needs an API key, checked by a Lambda authorizer against
 * hashes kept in SSM; the unsubscribe link carries a token signed with a secret in Secrets Manager.
 */
export class IngestionApi extends Construct {
  readonly api: HttpApi;
  /** Signs one-click unsubscribe links: the workflows sign with it, the unsubscribe route verifies. */
  readonly unsubscribeSecret: Secret;
  /** One line per request: who, which route, the status; no body, no query string (the unsubscribe token). */
  readonly accessLogs: LogGroup;
  readonly handler: NodejsFunction;

  constructor(scope: Construct, id: string, props: IngestionApiProps) {
    super(scope, id);
    const keyHashes = new StringParameter(this, "ApiKeyHashes", {
      description: "SHA-256 hashes of the store's API keys, comma-separated",
      stringValue: props.apiKeyHashes.length > 0 ? props.apiKeyHashes.join(",") : "none",
    });
    const unsubscribeSecret = (this.unsubscribeSecret = new Secret(this, "UnsubscribeSecret", {
      description: "Signs one-click unsubscribe links",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    }));
    Validations.of(unsubscribeSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: "Not rotated: every unsubscribe link in mail already sent is signed with it and must keep working for 400 days (RFC 8058, and the law: an unsubscribe link may not break). Rotate by hand only after a leak, accepting that older links stop working.",
    });

    const apiFunction = handlerFunction(this, "Handler", "http-api.ts", {
      environment: {
        TABLE_NAME: props.table.tableName,
        UNSUBSCRIBE_SECRET_ARN: unsubscribeSecret.secretArn,
        ...(props.storeName !== undefined && { STORE_NAME: props.storeName }),
      },
      // The workflows deployed (GET /workflows, a contact's enrolments) travel in the bundle, not the environment.
      bundling: { commandHooks: workflowsInBundle(props.workflows ?? []) },
    });
    // What the store's routes call (contacts, orders, events, coupon codes; an erasure's Query of the
    // contact's partition and its batch deletes; a workflow's enrolments, one Query of its partition): no Scan. The segment export's routes bring their own
    // rights (SegmentExport.grantRequest).
    props.table.grant(apiFunction, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:Query");
    this.handler = apiFunction;
    grantSecretValue(unsubscribeSecret, apiFunction);

    const authorizerFunction = handlerFunction(this, "Authorizer", "api-key-authorizer.ts", {
      environment: { TABLE_NAME: props.table.tableName, API_KEY_HASHES_PARAMETER: keyHashes.parameterName },
    });
    authorizerFunction.addToRolePolicy(new PolicyStatement({ actions: ["ssm:GetParameter"], resources: [keyHashes.parameterArn] }));

    const authorizer = new HttpLambdaAuthorizer("ApiKey", authorizerFunction, {
      identitySource: ["$request.header.x-api-key"],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      // A revoked key stops working once this cache and the handler's copy of the hashes (Powertools
      // Parameters, max age 60 s) have both expired.
      resultsCacheTtl: API_KEY_RESULT_CACHE,
    });
    this.api = new HttpApi(this, "Api", { defaultAuthorizer: authorizer, createDefaultStage: true });
    const integration = new HttpLambdaIntegration("Routes", apiFunction);
    this.api.addRoutes({ path: "/contacts/{id}", methods: [HttpMethod.PUT, HttpMethod.GET, HttpMethod.DELETE], integration });
    this.api.addRoutes({ path: "/orders", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/events", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/coupon-sets/{id}/codes", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/segments/{id}/export", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/workflows", methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: "/workflows/{id}", methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: "/exports/{id}", methods: [HttpMethod.GET], integration });
    // The footer link's page (GET, changes nothing) and its buttons and one-click (POST): throttled by the stage like every route.
    for (const route of this.api.addRoutes({ path: "/unsubscribe", methods: [HttpMethod.GET, HttpMethod.POST], integration, authorizer: new HttpNoneAuthorizer() })) {
      Validations.of(route).acknowledge({
        id: "AwsSolutions-APIG4",
        reason: "The unsubscribe link's page and one-click unsubscribe (RFC 8058) are opened or posted by the recipient, who has no key: the token in the link, HMAC-signed per contact with an expiry, is the authorization.",
      });
    }

    // Stage throttling (429 beyond it) and access logs, on the stage the API creates by default.
    const { throttle } = { throttle: API_THROTTLE, ...withoutUndefined(props) };
    this.accessLogs = new LogGroup(this, "AccessLogs", { retention: RetentionDays.ONE_MONTH });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = { throttlingRateLimit: throttle.ratePerSecond, throttlingBurstLimit: throttle.burst };
    stage.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        ip: "$context.identity.sourceIp",
        time: "$context.requestTime",
        routeKey: "$context.routeKey",
        status: "$context.status",
        responseLength: "$context.responseLength",
        latency: "$context.responseLatency",
        error: "$context.error.message",
        authorizerError: "$context.authorizer.error",
        integrationError: "$context.integrationErrorMessage",
      }),
    };
    new CfnOutput(this, "Url", { value: this.api.apiEndpoint });
  }
}
