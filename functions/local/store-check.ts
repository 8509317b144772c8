import { connect } from "node:net";
import { DescribeTableCommand, ListTablesCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Nothing listens at the endpoint, or it has no such table: what to do, in the command's words. */
export class StoreUnreachableError extends Error {
  override name = "StoreUnreachableError";
}

/**
 * Fails fast, and in the user's words, when nothing listens at the endpoint or the table is not
 * there: the SDK would retry a refused connection for half a minute and then report a socket error,
 * and a missing table as "Requested resource not found".
 */
export async function checkStore(client: DynamoDBDocumentClient, endpoint: string, tableName: string): Promise<void> {
  await checkListening(endpoint);
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    const { TableNames: tables = [] } = await client.send(new ListTablesCommand({}));
    throw new StoreUnreachableError(
      `no table "${tableName}" at ${endpoint}${tables.length > 0 ? ` (its tables: ${tables.join(", ")})` : " (it has no tables)"}: give --table, or start npm run serve, which creates clv-store`,
    );
  }
}

async function checkListening(endpoint: string): Promise<void> {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  await new Promise<void>((done, fail) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port, timeout: 3000 });
    const refuse = () => {
      socket.destroy();
      fail(new StoreUnreachableError(`no DynamoDB at ${endpoint}: start npm run serve, or give --endpoint`));
    };
    socket.once("connect", () => {
      socket.end();
      done();
    });
    socket.once("timeout", refuse);
    socket.once("error", refuse);
  });
}
