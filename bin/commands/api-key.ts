import type { Command } from "commander";

/** `clv api-key`: a new API key and the hash to deploy. */
export function registerApiKeyCommand(program: Command): Command {
  return program
    .command("api-key")
    .description("make a new API key and print it with the SHA-256 hash to deploy (cdk deploy -c apiKeyHashes=HASH)")
    .action(async () => {
      const [{ randomBytes }, { hashApiKey }] = await Promise.all([import("node:crypto"), import("../../functions/domain/store/api-keys.js")]);
      const key = randomBytes(24).toString("base64url");
      console.log(`API key (give it to the store's platform; it is not stored anywhere): ${key}`);
      console.log(`Its hash (deploy this):                                             ${hashApiKey(key)}`);
    });
}
