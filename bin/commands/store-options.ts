/**
 * What several commands share, kept free of heavy imports: this module is loaded for every command,
 * `--help` included, so the store and the SDK are imported only when a command runs.
 */
import { InvalidArgumentError, Option } from "commander";
import type { LocalStore } from "../../functions/local/local-store.js";

export interface StoreOptions {
  endpoint: string;
  table: string;
}

/** `--endpoint`: the DynamoDB endpoint, `DYNAMODB_ENDPOINT` or dynalite's default port. */
export const endpointOption = () =>
  new Option("--endpoint <url>", "the DynamoDB endpoint (`npm run serve` keeps one up)").default(process.env.DYNAMODB_ENDPOINT ?? "http://127.0.0.1:8000");

/** `--table`: the store's table, `TABLE_NAME` or `clv-store`. */
export const tableOption = () => new Option("--table <name>", "the table").default(process.env.TABLE_NAME ?? "clv-store");

/** A YYYY-MM-DD option value as the UTC midnight it names, in ms. */
export function asOfDate(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${text}"`);
  return ms;
}

/** Opens the store's table at the endpoint (checking that something listens there and has the table), runs `use` and closes the connection. */
export async function withStore<T>(options: StoreOptions, use: (local: LocalStore) => Promise<T>): Promise<T> {
  const [{ openLocalStore }, { checkStore }] = await Promise.all([import("../../functions/local/local-store.js"), import("../../functions/local/store-check.js")]);
  const local = await openLocalStore({ endpoint: options.endpoint, tableName: options.table });
  try {
    await checkStore(local.client, options.endpoint, options.table);
    return await use(local);
  } finally {
    await local.close();
  }
}
