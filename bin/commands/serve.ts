import type { Command } from "commander";
import { storeCurrencyOption } from "./store-data-options.js";

/** A port in use, said with the option that moves it; any other error as it is. */
function portTaken(error: unknown, port: string, option: string, what: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code !== "EADDRINUSE" && !String((error as Error | undefined)?.message).includes("EADDRINUSE")) return error;
  return new Error(`port ${port} is taken, so ${what} cannot listen there (another npm run serve?): stop it, or give ${option} with a free port`);
}

/** `clv serve` (what `npm run serve` runs): dynalite and the HTTP API on localhost until Ctrl-C. */
export function registerServeCommand(program: Command): Command {
  return program
    .command("serve")
    .description("keep DynamoDB (dynalite) and the HTTP API up on localhost, for trying the API with curl")
    .option("--port <port>", "the HTTP API's port", "3000")
    .option("--dynamo-port <port>", "dynalite's port", "8000")
    .addOption(storeCurrencyOption())
    .action(async (options: { port: string; dynamoPort: string; currency: string }) => {
      const [{ randomBytes }, { openLocalStore }, { startLocalApi }, { CouponStore }, { hashApiKey }, { signUnsubscribeToken }, { LOCAL_STORE, localUnsubscribeSecret }, { knownWorkflowIds }, { storeWorkflows }, { WORKFLOWS_DIR }, { DEFAULT_MAILBOX }, { localSegmentExports }] = await Promise.all([
        import("node:crypto"),
        import("../../functions/local/local-store.js"),
        import("../../functions/local/http-server.js"),
        import("../../functions/adapters/dynamodb/coupon-store.js"),
        import("../../functions/domain/store/api-keys.js"),
        import("../../functions/domain/store/unsubscribe-token.js"),
        import("../../functions/local/local-settings.js"),
        import("../../functions/local/cli/contact-commands.js"),
        import("../../functions/local/cli/workflow-commands.js"),
        import("../../functions/adapters/files/workflow-files.js"),
        import("../../functions/local/local-mailbox.js"),
        import("../../functions/local/local-exports.js"),
      ]);
      const local = await openLocalStore({ port: Number(options.dynamoPort) }).catch((error: unknown) => {
        throw portTaken(error, options.dynamoPort, "--dynamo-port", "DynamoDB (dynalite)");
      });
      const apiKey = process.env.CLV_API_KEY ?? `local-${randomBytes(12).toString("hex")}`;
      // The secret the demo and `clv workflows run` sign their mail's links with (local-settings.ts), so those links work here.
      const secret = localUnsubscribeSecret();
      const server = await startLocalApi(
        {
          store: local.store,
          coupons: new CouponStore(local.client, local.tableName),
          clock: Date.now,
          orderRules: { storeCurrency: options.currency },
          unsubscribeSecret: async () => secret,
          storeName: LOCAL_STORE.name,
          workflowIds: knownWorkflowIds(),
          // Read on each request, as `clv workflows status` does: a workflow file added while serving is answered for.
          workflows: { definitions: () => storeWorkflows(local.store, WORKFLOWS_DIR), enrolments: local.store },
          exports: localSegmentExports(local.store, { currency: options.currency }),
          apiKeyHashes: [hashApiKey(apiKey)],
          mailbox: DEFAULT_MAILBOX,
        },
        Number(options.port),
      ).catch(async (error: unknown) => {
        await local.close();
        throw portTaken(error, options.port, "--port", "the HTTP API");
      });
      const api = `http://127.0.0.1:${options.port}`;
      console.log(`DynamoDB (dynalite): ${local.endpoint}, table ${local.tableName}`);
      console.log(`HTTP API:            ${api} (store currency ${options.currency})`);
      console.log(`API key:             ${apiKey}`);
      console.log(`Local mail:          ${api}/mail/ (every mail npm start and clv workflows run sent, kept in ${DEFAULT_MAILBOX}/)`);
      console.log(`Workflows:           ${api}/workflows (with the API key: each workflow's funnel and lift)`);
      console.log(`Unsubscribe link for contact c-1: ${api}/unsubscribe?token=${signUnsubscribeToken("c-1", Date.now(), secret)}`);
      console.log("Try it (see README.md):");
      console.log(`  curl -X PUT ${api}/contacts/c-1 -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' -d '{"email":"ann@example.com","subscription":"subscribed","consentAt":"2024-05-01T09:00:00Z"}'`);
      console.log("Ctrl-C stops both.");
      const stop = async () => {
        server.close();
        await local.close();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
