import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { authorizeApiKey } from "../../functions/handlers/api-key-authorizer.js";
import { PARAMETER_MAX_AGE_SECONDS, apiKeyHashes, unsubscribeSecret } from "../../functions/handlers/runtime.js";
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";

const START = Date.parse("2026-06-01T12:00:00Z");
const request = (key: string) => ({ headers: { "x-api-key": key } }) as unknown as APIGatewayRequestAuthorizerEventV2;

afterEach(() => void vi.useRealTimers());

/** Powertools Parameters' cache expires by Date.now: the clock is set, never waited for. */
function clockAt(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
}

describe("API key hashes from SSM, cached for a minute", () => {
  it("keeps accepting a revoked key until the cache is 60 s old, then refuses it", async () => {
    // Prepare: two keys stored; the SSM client answers what the parameter holds at the time.
    const ssm = new SSMClient({ region: "eu-west-1" });
    const mock = mockClient(ssm);
    let stored = [hashApiKey("key-kept"), hashApiKey("key-revoked")].join(",");
    mock.on(GetParameterCommand).callsFake(() => ({ Parameter: { Value: stored } }));
    const authorize = authorizeApiKey(apiKeyHashes({ API_KEY_HASHES_PARAMETER: "/clv/api-keys" } as never, new SSMProvider({ awsSdkV3Client: ssm })));
    clockAt(START);

    // Act / Assess: the first request reads the parameter, later ones within the minute do not.
    expect(await authorize(request("key-revoked"))).toEqual({ isAuthorized: true });
    stored = hashApiKey("key-kept");
    vi.setSystemTime(START + (PARAMETER_MAX_AGE_SECONDS - 1) * 1000);
    expect(await authorize(request("key-revoked"))).toEqual({ isAuthorized: true });
    expect(mock.commandCalls(GetParameterCommand)).toHaveLength(1);

    // Act / Assess: past the cache's age the list is read again and the revoked key is refused.
    vi.setSystemTime(START + (PARAMETER_MAX_AGE_SECONDS + 1) * 1000);
    expect(await authorize(request("key-revoked"))).toEqual({ isAuthorized: false });
    expect(await authorize(request("key-kept"))).toEqual({ isAuthorized: true });
    expect(await authorize(request("never-issued"))).toEqual({ isAuthorized: false });
    expect(mock.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(PARAMETER_MAX_AGE_SECONDS).toBeLessThanOrEqual(60);
  });

  it("reads local hashes from the environment, and names what is missing", async () => {
    // Prepare / Act / Assess
    expect(await apiKeyHashes({ API_KEY_HASHES: "a,,b" } as never)()).toEqual(["a", "b"]);
    await expect(apiKeyHashes({} as never)()).rejects.toThrow(/neither API_KEY_HASHES_PARAMETER nor API_KEY_HASHES is set/);
  });
});

describe("the unsubscribe secret from Secrets Manager, cached for a minute", () => {
  it("serves a rotated secret once the cache has expired", async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    let secret = "the-first-secret-of-enough-length";
    mock.on(GetSecretValueCommand).callsFake(() => ({ SecretString: secret }));
    const read = unsubscribeSecret({ UNSUBSCRIBE_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:u" }, new SecretsProvider({ awsSdkV3Client: client }));
    clockAt(START);

    // Act / Assess
    expect(await read()).toBe("the-first-secret-of-enough-length");
    secret = "the-rotated-secret-of-enough-length";
    vi.setSystemTime(START + 30_000);
    expect(await read()).toBe("the-first-secret-of-enough-length");
    vi.setSystemTime(START + (PARAMETER_MAX_AGE_SECONDS + 1) * 1000);
    expect(await read()).toBe("the-rotated-secret-of-enough-length");
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("refuses an empty secret, and prefers the local one", async () => {
    // Prepare
    const client = new SecretsManagerClient({ region: "eu-west-1" });
    mockClient(client).on(GetSecretValueCommand).resolves({ SecretString: "" });
    // Act / Assess
    await expect(unsubscribeSecret({ UNSUBSCRIBE_SECRET_ARN: "arn:x" }, new SecretsProvider({ awsSdkV3Client: client }))()).rejects.toThrow(/empty/);
    expect(await unsubscribeSecret({ UNSUBSCRIBE_SECRET: "local-secret-of-enough-length" })()).toBe("local-secret-of-enough-length");
  });
});
