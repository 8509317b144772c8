import { CfnOutput, Duration } from "aws-cdk-lib";
import { HttpApi, HttpMethod, HttpNoneAuthorizer } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { handlerFunction } from "./lambda-function.js";

export interface IngestionApiProps {
  table: ITableV2;
  /** SHA-256 hex digests of the store's API keys (`npm run -s clv -- api-key` makes a key and its hash). */
  apiKeyHashes: readonly string[];
}

/**
 * The HTTP API a store's platform sends its data to: contacts, orders, e-mail events, one-click
 * unsubscribe. Every route but unsubscribe needs an API key, checked by a Lambda authorizer against
 * hashes kept in SSM; the unsubscribe link carries a token signed with a secret in Secrets Manager.
 */
export class IngestionApi extends Construct {
  readonly api: HttpApi;
  /** Signs one-click unsubscribe links: the workflows sign with it, the unsubscribe route verifies. */
  readonly unsubscribeSecret: Secret;

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

    const apiFunction = handlerFunction(this, "Handler", "http-api.ts", {
      environment: { TABLE_NAME: props.table.tableName, UNSUBSCRIBE_SECRET_ARN: unsubscribeSecret.secretArn },
    });
    props.table.grantReadWriteData(apiFunction);
    unsubscribeSecret.grantRead(apiFunction);

    const authorizerFunction = handlerFunction(this, "Authorizer", "api-key-authorizer.ts", {
      environment: { TABLE_NAME: props.table.tableName, API_KEY_HASHES_PARAMETER: keyHashes.parameterName },
    });
    keyHashes.grantRead(authorizerFunction);

    const authorizer = new HttpLambdaAuthorizer("ApiKey", authorizerFunction, {
      identitySource: ["$request.header.x-api-key"],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.minutes(5),
    });
    this.api = new HttpApi(this, "Api", { defaultAuthorizer: authorizer, createDefaultStage: true });
    const integration = new HttpLambdaIntegration("Routes", apiFunction);
    this.api.addRoutes({ path: "/contacts/{id}", methods: [HttpMethod.PUT], integration });
    this.api.addRoutes({ path: "/orders", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/events", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/coupon-sets/{id}/codes", methods: [HttpMethod.POST], integration });
    this.api.addRoutes({ path: "/unsubscribe", methods: [HttpMethod.POST], integration, authorizer: new HttpNoneAuthorizer() });
    new CfnOutput(this, "Url", { value: this.api.apiEndpoint });
  }
}
