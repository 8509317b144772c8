/**
 * Import rate of the Online Retail orders (18,536 orders of 4,339 customers) into dynalite running in
 * this process, through the same DynamoDbStore as on AWS. Printed, never asserted. Target from the
 * issue: ≥ 5,000 orders/s.
 *
 * dynalite spends more CPU per request than the import itself, and here it shares the machine with
 * it; DynamoDB does its work elsewhere. So the last line times the same import against a transport
 * that answers every request at once: what the import and the SDK cost, the bound on AWS (less the
 * network, which concurrency hides).
 *
 * On a shared machine the wall-clock rate follows the load; the CPU time of the process (this thread
 * and dynalite's, user + system) does much less, so each line prints it too.
 */
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { createStoreTable, startLocalDynamo, storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import { importOrders, type ImportReport } from "../../functions/adapters/csv/import-csv.js";

const ORDERS = fileURLToPath(new URL("../../data/online-retail/orders.csv", import.meta.url));

const line = (label: string, value: string, target = "") => console.log(`  ${label.padEnd(52)} ${value.padStart(14)}  ${target}`);

export async function benchImport(): Promise<void> {
  console.log("\nImport of the Online Retail orders into dynalite (in this process, own thread)");
  const dynamo = await startLocalDynamo();
  const client = storeClient({ endpoint: dynamo.endpoint });
  try {
    // A warm-up import into a table of its own, so the measured one runs on compiled code, as a
    // long-running import does after its first seconds.
    await createStoreTable(client, "warm-up");
    await importOrders(new DynamoDbStore(client, "warm-up"), ORDERS, { storeCurrency: "GBP" });

    await createStoreTable(client, "store");
    const store = new DynamoDbStore(client, "store");
    const timed = async (): Promise<[ImportReport, number, number]> => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const report = await importOrders(store, ORDERS, { storeCurrency: "GBP" });
      const used = process.cpuUsage(cpu);
      return [report, (performance.now() - start) / 1000, (used.user + used.system) / 1e6];
    };
    const [first, firstSeconds, firstCpu] = await timed();
    if (first.imported !== 18_536 || first.errors.length > 0) throw new Error(`the import went wrong: ${JSON.stringify({ ...first, errors: first.errors.slice(0, 3) })}`);
    line("new orders", `${Math.round(first.rows / firstSeconds).toLocaleString("en")} orders/s`, `target ≥ 5,000 (${firstSeconds.toFixed(2)} s; CPU ${firstCpu.toFixed(2)} s)`);
    const [second, secondSeconds, secondCpu] = await timed();
    if (second.duplicates !== 18_536) throw new Error(`the second import did not find every order a duplicate: ${JSON.stringify({ ...second, errors: second.errors.length })}`);
    line("the same file again (all duplicates)", `${Math.round(second.rows / secondSeconds).toLocaleString("en")} orders/s`, `(${secondSeconds.toFixed(2)} s; CPU ${secondCpu.toFixed(2)} s)`);
  } finally {
    client.destroy();
    await dynamo.close();
  }

  // Every request succeeds at once; BatchGetItem finds nothing, so every order is new.
  const instant = storeClient({
    endpoint: "http://127.0.0.1:9",
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => ({
        response: {
          statusCode: 200,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: Readable.from([Buffer.from(request.headers["x-amz-target"]?.endsWith("BatchGetItem") ? '{"Responses":{"store":[]}}' : "{}")]),
        },
      }),
    } as never,
  });
  const seconds: number[] = [];
  for (let run = 0; run < 4; run++) {
    const start = performance.now();
    await importOrders(new DynamoDbStore(instant, "store"), ORDERS, { storeCurrency: "GBP" });
    seconds.push((performance.now() - start) / 1000);
  }
  const best = Math.min(...seconds.slice(1));
  line("import and SDK alone (no database)", `${Math.round(18_536 / best).toLocaleString("en")} orders/s`, `(${best.toFixed(2)} s, best of 3 after a warm-up)`);
}

// `tsx test/bench/import.ts` runs it on its own.
if (process.argv[1] === fileURLToPath(import.meta.url)) await benchImport();
