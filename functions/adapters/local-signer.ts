import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

/**
 * For a local stand-in of an AWS service (dynalite, DynamoDB Local, aws-ses-v2-local), which checks
 * the Authorization header's shape, not its signature: a header of that shape spares each request the
 * SDK's signing (a copy of the client's config and a chain of HMACs, seconds of CPU over `npm start`).
 * Never for AWS's own endpoints.
 */
export const LOCAL_SIGNER: NonNullable<DynamoDBClientConfig["signer"]> = {
  sign: async (request, options) => {
    const date = new Date(options?.signingDate ?? Date.now()).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const service = (options as { signingService?: string } | undefined)?.signingService ?? "dynamodb";
    request.headers["x-amz-date"] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/${options?.signingRegion ?? "us-east-1"}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned`;
    return request;
  },
};
