import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previewEmail } from "../../functions/local/cli/email-preview.js";
import { saveMailbox } from "../../functions/local/local-mailbox.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

describe("clv email preview", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await openLocalStore({ tableName: "email-preview" });
  });
  afterAll(async () => {
    await local?.close();
  });

  it("writes the contact's mail as the send step renders it: escaped name, UTM tags, signed unsubscribe link and headers", async () => {
    // Prepare
    await local.store.putContact("c-7", { email: "ann@example.com", firstName: "Ann <b>&</b>", subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z" });
    const out = mkdtempSync(join(tmpdir(), "preview-"));
    // Act
    const preview = await previewEmail(local, { name: "win-back-coupon", contactId: "c-7", outDir: out, couponCode: "THANKS-1", workflowId: "win-back", now: Date.parse("2024-06-07T09:00:00Z") });
    // Assess
    const html = readFileSync(preview.htmlPath, "utf8");
    const text = readFileSync(preview.textPath, "utf8");
    expect(preview.subject).toBe("Ann <b>&</b>, a thank-you from Online Retail");
    expect(html).toContain("Hello Ann &lt;b&gt;&amp;&lt;/b&gt;,");
    expect(html).toContain("THANKS-1");
    expect(html).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=[^"]+utm_campaign=win-back"/);
    expect(text).toMatch(/^Subject: Ann <b>&<\/b>, a thank-you from Online Retail\nList-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=/);
    expect(text).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(text).toContain("Hello Ann <b>&</b>,");
    await expect(previewEmail(local, { name: "win-back-coupon", contactId: "nobody", outDir: out })).rejects.toThrow('no contact "nobody" in table email-preview');
    await expect(previewEmail(local, { name: "birthday", contactId: "c-7", outDir: out })).rejects.toThrow('no e-mail template "birthday"');
  });

  it("keeps every mail of local runs in one folder with an index page", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "mailbox-"));
    const mail = (id: string, at: number) => ({ messageId: id, from: "shop@x", replyTo: [], destination: { to: [`${id}@example.com`], cc: [], bcc: [] }, subject: `Mail <${id}>`, body: { html: "<p>hi</p>", text: "hi" }, at });
    saveMailbox([mail("a", 1)], dir);
    // Act
    const second = saveMailbox([mail("b", 2)], dir);
    const index = readFileSync(second.index, "utf8");
    // Assess
    expect(second).toMatchObject({ saved: 1, total: 2 });
    expect(index.indexOf("Mail &lt;b&gt;")).toBeLessThan(index.indexOf("Mail &lt;a&gt;"));
    expect(readFileSync(join(dir, "1-a.html"), "utf8")).toBe("<p>hi</p>");
  });
});
