import { existsSync, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { DynamoDbSendLog } from "../../functions/adapters/dynamodb/send-log.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import { EmailSettings } from "../../functions/domain/email/send-workflow-email.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { enrolContacts } from "../../functions/domain/workflows/workflow-steps.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { startLocalMail, type LocalMail } from "../../functions/local/local-mail.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { LocalWorkflows } from "../../functions/local/local-workflows.js";

/**
 * The footer link of a mail the workflow rendered and sent (to the local SES), followed in a real
 * browser (Debian's Chromium driven by playwright-core, as test/browser/report-page.test.ts): the page,
 * its button, the confirmation, and "I changed my mind". Without Chromium the test is skipped and says why.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
if (missing) console.warn(`test/browser/unsubscribe-link.test.ts skipped: ${missing}`);
const named = (title: string) => (missing ? `${title} [skipped: ${missing}]` : title);

const SECRET = "browser-test-unsubscribe-secret";
const STORE_NAME = "Ann's <Corner> Shop";
const OUT = resolve(".out");
const workflow = shippedWorkflow("low-clv-reactivation");

describe("the unsubscribe link of a workflow's mail, in Chromium", () => {
  let browser: Browser;
  let local: LocalStore;
  let mail: LocalMail;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    if (missing) return;
    [browser, local, mail] = await Promise.all([chromium.launch({ executablePath: CHROMIUM }), openLocalStore(), startLocalMail()]);
    server = await startLocalApi({ store: local.store, clock: Date.now, unsubscribeSecret: async () => SECRET, storeName: STORE_NAME, apiKeyHashes: [hashApiKey("browser-test-key")] });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => {
    server?.close();
    await Promise.all([browser?.close(), mail?.stop()]);
    await local?.close();
  });

  it.skipIf(Boolean(missing))(named("opens a page in the store's name, unsubscribes only with the button, confirms, and undoes with 'I changed my mind'"), async () => {
    // Prepare: the workflow mails ann, with the API's unsubscribe URL in its settings
    const now = Date.now();
    const { store } = local;
    await store.putContact("ann", { email: "ann@example.com", firstName: "Ann", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
    await store.recordOrder({ id: "o-1", contactId: "ann", createdAt: "2025-01-10T10:00:00Z", total: 30, currency: "EUR", status: "placed" });
    await store.applyMembershipChanges(workflow.segmentId, { entered: [{ contactId: "ann", enteredAt: new Date(now).toISOString() }], left: [], stayed: 0 });
    const coupons = new CouponStore(local.client, local.tableName);
    await coupons.createCouponSet({ id: workflow.couponSetId, name: "Come back", expiresAt: new Date(now + 30 * 86_400_000).toISOString() });
    await coupons.importCodes(workflow.couponSetId, ["BACK-1"]);
    const email = {
      contacts: store,
      mailer: new SesMailer(sesClient(mail.endpoint)),
      sendLog: new DynamoDbSendLog(local.client, local.tableName),
      settings: EmailSettings.parse({ from: "Shop <hello@shop.example>", storeName: STORE_NAME, storeUrl: "https://shop.example/", unsubscribeUrl: `${base}/unsubscribe`, unsubscribeSecret: SECRET }),
    };
    const runner = new LocalWorkflows([workflow], { store, client: local.client, tableName: local.tableName, coupons, email, clock: () => now });
    await enrolContacts(workflow, ["ann"], { enrolments: store, starter: runner }, now);
    await runner.settled();
    const [sent] = (await mail.listMail()).filter((m) => m.destination.to.includes("ann@example.com"));
    const hrefs = [...(sent?.body.html ?? "").matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));
    const link = hrefs.find((href) => new URL(href).pathname === "/unsubscribe");
    expect(link, `the footer link among ${hrefs.join(", ")}`).toBeDefined();
    expect(sent!.body.text).toContain(new URL(link!).searchParams.get("token")!);

    // Act: follow it
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    const opened = await page.goto(link!);

    // Assess: the page, in the store's name (escaped, shown as text), and a GET changed nothing
    expect(opened!.status()).toBe(200);
    expect(await page.locator("h1").textContent()).toBe(`Unsubscribe from ${STORE_NAME}'s e-mails?`);
    expect(await page.locator("button").count()).toBe(1);
    expect(await page.content()).not.toContain("ann@example.com");
    expect((await store.getContact("ann"))!.profile!.subscription).toBe("subscribed");
    await page.screenshot({ path: resolve(OUT, "unsubscribe-page.png") });

    // Act: the button
    await Promise.all([page.waitForURL(/\/unsubscribe\?token=/), page.getByRole("button", { name: "Unsubscribe" }).click()]);
    // Assess: the confirmation, the contact unsubscribed through the link
    expect(await page.locator("h1").textContent()).toBe("You are unsubscribed");
    expect((await store.getContact("ann"))!.profile).toMatchObject({ subscription: "unsubscribed", optedOutVia: "link" });
    await page.screenshot({ path: resolve(OUT, "unsubscribe-confirmation.png") });

    // Act: the undo
    await page.getByRole("button", { name: "I changed my mind" }).click();
    await page.locator("h1", { hasText: "You are subscribed again" }).waitFor();
    // Assess: subscribed again, recorded as a new consent
    const profile = (await store.getContact("ann"))!.profile!;
    expect(profile.subscription).toBe("subscribed");
    expect(Date.parse(profile.consentAt!)).toBeGreaterThan(Date.parse(profile.optedOutAt!));
    expect(profile.subscriptionHistory!.map((h) => `${h.event}/${h.via}`)).toEqual(["consent/api", "opt-out/link", "consent/link"]);
    expect(errors).toEqual([]);
  });
});
