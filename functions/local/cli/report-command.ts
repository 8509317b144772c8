import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { openLocalStore } from "../local-store.js";
import { renderReport } from "../report/render-report.js";
import { readReportInput, type ReportOptions, type ReportStore } from "../report/store-report.js";

export const DEFAULT_REPORT_PATH = ".out/report.html";

/**
 * Reads the store (histories, scores, the latest completed model run, segments) and writes the
 * report page: the demo passes its in-process dynalite's store, `clv report` one at an endpoint.
 */
export async function writeReport(store: ReportStore, outPath: string = DEFAULT_REPORT_PATH, options: ReportOptions = {}): Promise<{ path: string; bytes: number }> {
  const input = await readReportInput(store, options);
  const html = renderReport(input);
  const path = resolve(outPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
  return { path, bytes: Buffer.byteLength(html) };
}

const currencyCode = (text: string): string => {
  const code = text.toUpperCase();
  try {
    new Intl.NumberFormat("en-GB", { style: "currency", currency: code });
  } catch {
    throw new InvalidArgumentError(`expected an ISO 4217 currency code such as GBP, got "${text}"`);
  }
  return code;
};

/**
 * Fails fast, and in the user's words, when nothing listens at the endpoint: the SDK would retry a
 * refused connection for half a minute and then report a socket error.
 */
async function checkReachable(endpoint: string): Promise<void> {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  await new Promise<void>((done, fail) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port, timeout: 3000 });
    const refuse = () => {
      socket.destroy();
      fail(new Error(`no DynamoDB answers at ${endpoint}: start \`npm run serve\` first, or give --endpoint`));
    };
    socket.once("connect", () => {
      socket.end();
      done();
    });
    socket.once("timeout", refuse);
    socket.once("error", refuse);
  });
}

/** `clv report`: the store's report as one self-contained HTML page. */
export function registerReportCommand(program: Command): Command {
  return program
    .command("report")
    .description("write the store's report as one HTML page: the model run, its fit, the figures' distributions, RFM, segments and workflows")
    .option("--out <file>", "where to write the page", DEFAULT_REPORT_PATH)
    .option("--endpoint <url>", "the DynamoDB endpoint (`npm run serve` keeps one up)", process.env.DYNAMODB_ENDPOINT ?? "http://127.0.0.1:8000")
    .option("--table <name>", "the table", process.env.TABLE_NAME ?? "clv-store")
    .option("--store-name <name>", "the store's name, for the page's title")
    .option("--currency <code>", "ISO 4217 code of the order totals, e.g. GBP", currencyCode)
    .action(async (options: { out: string; endpoint: string; table: string; storeName?: string; currency?: string }) => {
      await checkReachable(options.endpoint);
      const local = await openLocalStore({ endpoint: options.endpoint, tableName: options.table });
      try {
        const { path, bytes } = await writeReport(local.store, options.out, {
          ...(options.storeName && { storeName: options.storeName }),
          ...(options.currency && { currency: options.currency }),
        });
        console.log(`Report written to ${path} (${Math.round(bytes / 1024)} KB); open it in a browser, it needs no network.`);
      } finally {
        await local.close();
      }
    });
}
