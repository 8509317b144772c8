import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { clv } from "../support/clv.js";

/** A port something listens on (taken), and one nothing listens on (closed again). */
async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe("clv against a store it cannot use says what to do", () => {
  let local: LocalStore;
  let taken: Server;
  let freePort: number;
  beforeAll(async () => {
    local = await openLocalStore({ tableName: "cli-errors" });
    taken = await listening();
    const closed = await listening();
    freePort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
  });
  afterAll(async () => {
    taken?.close();
    await local?.close();
  });

  it("nothing at the endpoint: start npm run serve, or give --endpoint", async () => {
    // Act
    const { status, stderr } = await clv("segments", "--endpoint", `http://127.0.0.1:${freePort}`);
    // Assess
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(`error: no DynamoDB at http://127.0.0.1:${freePort}: start npm run serve, or give --endpoint`);
  });

  it("the same for coupons and the report", async () => {
    for (const args of [["coupons", "status"], ["report", "--out", "/tmp/never.html"]]) {
      const { status, stderr } = await clv(...args, "--endpoint", `http://127.0.0.1:${freePort}`);
      expect(status).toBe(1);
      expect(stderr.trim()).toBe(`error: no DynamoDB at http://127.0.0.1:${freePort}: start npm run serve, or give --endpoint`);
    }
  });

  it("no such table: names it and the tables there are", async () => {
    // Act
    const { status, stderr } = await clv("nightly", "--endpoint", local.endpoint, "--table", "clv-stor");
    // Assess
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(`error: no table "clv-stor" at ${local.endpoint} (its tables: cli-errors): give --table, or start npm run serve, which creates clv-store`);
  });

  it("serve on a taken port names the option that moves it", async () => {
    // Prepare
    const port = String(portOf(taken));
    // Act
    const api = await clv("serve", "--port", port, "--dynamo-port", "0");
    const dynamo = await clv("serve", "--port", "0", "--dynamo-port", port);
    // Assess
    expect(api.status).toBe(1);
    expect(api.stderr.trim()).toBe(`error: port ${port} is taken, so the HTTP API cannot listen there (another npm run serve?): stop it, or give --port with a free port`);
    expect(dynamo.status).toBe(1);
    expect(dynamo.stderr.trim()).toBe(`error: port ${port} is taken, so DynamoDB (dynalite) cannot listen there (another npm run serve?): stop it, or give --dynamo-port with a free port`);
  });
});
