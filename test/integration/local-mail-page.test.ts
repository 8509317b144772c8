import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import { startLocalMail, type LocalMailMessage } from "../../functions/local/local-mail.js";
import { saveMailbox } from "../../functions/local/local-mailbox.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

/** A mail as aws-ses-v2-local keeps it. */
const mail = (id: string, at: number, subject: string): LocalMailMessage => ({
  messageId: id,
  from: "The shop <hello@shop.example>",
  replyTo: [],
  destination: { to: [`${id}@example.com`], cc: [], bcc: [] },
  subject,
  body: { html: `<p>Hello ${id}</p>`, text: `Hello ${id}` },
  at,
});

/** `npm run serve`'s page of the mail local runs sent: GET /mail/ on the local HTTP server. */
describe("the local mail page", () => {
  let local: LocalStore;
  let server: Server;
  let base: string;
  let mailbox: string;

  beforeAll(async () => {
    mailbox = join(mkdtempSync(join(tmpdir(), "mail-page-")), "mail");
    local = await openLocalStore({ tableName: "clv-mail-page" });
    server = await startLocalApi({ store: local.store, clock: Date.now, unsubscribeSecret: async () => "a-secret-of-enough-length", apiKeyHashes: [hashApiKey("test-key-0123456789")], mailbox });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await local.close();
  });

  it("says there is no mail yet before any local run sent some", async () => {
    // Act
    const response = await fetch(`${base}/mail/`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("No mail yet");
  });

  it("lists the mail a run sent while it is up, newest first, without an API key, and opens each", async () => {
    // Prepare: two runs keep their mail, as `npm start` and `clv workflows run` do.
    saveMailbox([mail("a", 1_717_236_000, "Come back <15 %>")], mailbox);
    saveMailbox([mail("b", 1_717_322_400, "A thank-you")], mailbox);

    // Act
    const index = await fetch(`${base}/mail`);
    const html = await index.text();
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    const opened = await fetch(new URL(links[0]!, index.url));
    const text = await fetch(new URL(links[1]!, index.url));

    // Assess
    expect(index.url).toBe(`${base}/mail/`);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html).toContain("Mail sent by local runs (2)");
    expect(html.indexOf("A thank-you")).toBeLessThan(html.indexOf("Come back &lt;15 %&gt;"));
    expect(links).toEqual(["1717322400-b.html", "1717322400-b.txt", "1717236000-a.html", "1717236000-a.txt"]);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toBe("<p>Hello b</p>");
    expect(opened.headers.get("content-security-policy")).toMatch(/^sandbox/);
    expect(text.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await text.text()).toBe("Hello b");
  });

  it("serves nothing but the mailbox's own pages", async () => {
    // Act
    const statuses = await Promise.all(["/mail/..%2F..%2Fpackage.json", "/mail/1717322400-b.json", "/mail/nobody.html", "/mail/%E0%A4%A", "/mail/sub/1717322400-b.html"].map(async (path) => (await fetch(`${base}${path}`)).status));

    // Assess
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
  });
});

/** The local SES's mailbox is one per process and outlives its server (npm start, `clv workflows run` and test files share processes). */
describe("the local SES's mail, per server", () => {
  const send = (endpoint: string, to: string) =>
    new SesMailer(sesClient(endpoint)).send({ from: "Shop <hello@shop.example>", to, subject: "Hi", html: "<p>Hi</p>", text: "Hi", headers: [], tags: [] });

  it("lists what came after the server started, not what an earlier server of the process was sent", async () => {
    // Prepare: an earlier run's server, with its mail, stopped.
    const earlier = await startLocalMail();
    await send(earlier.endpoint, "earlier@example.com");
    await earlier.stop();

    // Act
    const run = await startLocalMail();
    await send(run.endpoint, "this-run@example.com");
    const listed = await run.listMail();
    await run.clear();
    await send(run.endpoint, "after-clear@example.com");
    const afterClear = await run.listMail();
    await run.stop();

    // Assess
    expect(listed.map((m) => m.destination.to)).toEqual([["this-run@example.com"]]);
    expect(afterClear.map((m) => m.destination.to)).toEqual([["after-clear@example.com"]]);
  });

  it("refuses a port in use with its code (EADDRINUSE), and starts again once every server has stopped", async () => {
    // Prepare
    const first = await startLocalMail();
    const port = Number(new URL(first.endpoint).port);

    // Act
    const taken = await startLocalMail({ port }).then(
      () => new Error("a second server started on a port in use"),
      (error: unknown) => error as NodeJS.ErrnoException,
    );
    await send(first.endpoint, "first@example.com");
    const listedByFirst = await first.listMail();
    await first.stop();
    const again = await startLocalMail();
    await send(again.endpoint, "again@example.com");
    const listedAgain = await again.listMail();
    await again.stop();

    // Assess
    expect((taken as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    expect(listedByFirst.map((m) => m.destination.to)).toEqual([["first@example.com"]]);
    expect(listedAgain.map((m) => m.destination.to)).toEqual([["again@example.com"]]);
  });

  it("keeps a mail sent through the mail thread (LocalMail.sesClient) as one sent over HTTP, and answers a refused one with the SDK's error", async () => {
    // Prepare
    const run = await startLocalMail();
    const email = { from: "Shop <hello@shop.example>", to: "a@example.com", replyTo: "help@shop.example", subject: "Hi ✓", html: "<p>Hi &amp; welcome</p>", text: "Hi\nwelcome", headers: [{ name: "List-Unsubscribe", value: "<https://shop.example/u?t=1>" }], tags: [{ name: "workflow", value: "w-1" }] };
    const direct = new SesMailer(run.sesClient());
    const overHttp = new SesMailer(sesClient(run.endpoint));

    // Act
    const sentDirectly = await direct.send(email);
    const sentOverHttp = await overHttp.send(email);
    const refused = (mailer: SesMailer) => mailer.send({ ...email, from: "" }).then(() => new Error("a mail without a sender was taken"), (error: unknown) => error as Error);
    const [refusedDirectly, refusedOverHttp] = [await refused(direct), await refused(overHttp)];
    const [kept, keptOverHttp] = await run.listMail();
    await run.stop();

    // Assess
    expect(sentDirectly.messageId).toMatch(/\S/);
    expect(sentDirectly.messageId).not.toBe(sentOverHttp.messageId);
    const { messageId: _a, at: _b, ...what } = kept!;
    const { messageId: _c, at: _d, ...whatOverHttp } = keptOverHttp!;
    expect(what).toEqual(whatOverHttp);
    expect(what.headers).toEqual([{ name: "List-Unsubscribe", value: "<https://shop.example/u?t=1>" }]);
    expect(refusedDirectly.constructor).toBe(refusedOverHttp.constructor);
    expect({ name: refusedDirectly.name, message: refusedDirectly.message }).toEqual({ name: refusedOverHttp.name, message: refusedOverHttp.message });
  });
});
