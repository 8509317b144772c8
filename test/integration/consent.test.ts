import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importContacts, type ImportReport } from "../../functions/adapters/csv/import-csv.js";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { DynamoDbSendLog } from "../../functions/adapters/dynamodb/send-log.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import { EmailSettings } from "../../functions/domain/email/send-workflow-email.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { signUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { enrolContacts } from "../../functions/domain/workflows/workflow-steps.js";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { startLocalMail, type LocalMail } from "../../functions/local/local-mail.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { LocalWorkflows } from "../../functions/local/local-workflows.js";

/**
 * Consent that holds, through the HTTP API on localhost (the routes the Lambda runs, over dynalite):
 * for each way a contact says no (the footer link's page, one-click, the API, a hard bounce, a
 * complaint), the platform's old consent sent again by PUT, by the contacts CSV and by the S3 import
 * does not re-subscribe; the next workflow run mails none of them; a newer consent re-subscribes where
 * the rules say so (not after a bounce: only a new address clears that).
 */
const KEY = "consent-test-key-0123456789";
const SECRET = "consent-test-unsubscribe-secret";
const OPTED_OUT_AT = "2026-03-02T10:00:00.000Z";
const OLD_CONSENT = "2024-05-01T09:00:00Z";
const NEW_CONSENT = "2026-03-02T12:00:00Z";
const workflow = shippedWorkflow("low-clv-reactivation");

const ways = ["link", "one-click", "api", "bounce", "complaint"] as const;
type Way = (typeof ways)[number];
const paths = ["put", "csv", "s3"] as const;
type Path = (typeof paths)[number];
const idOf = (path: Path, way: Way) => `${path}-${way}`;
const emailOf = (id: string) => `${id}@example.com`;

/** What the platform's consent does after each way of saying no. */
const kept: Record<Way, { subscription: string; note: string; newerResubscribes: boolean }> = {
  link: { subscription: "unsubscribed", note: 'subscription kept "unsubscribed": the contact opted out on 2026-03-02, after this consent of 2024-05-01', newerResubscribes: true },
  "one-click": { subscription: "unsubscribed", note: 'subscription kept "unsubscribed": the contact opted out on 2026-03-02, after this consent of 2024-05-01', newerResubscribes: true },
  api: { subscription: "unsubscribed", note: 'subscription kept "unsubscribed": the contact opted out on 2026-03-02, after this consent of 2024-05-01', newerResubscribes: true },
  bounce: { subscription: "suppressed", note: 'subscription kept "suppressed": mail to this address bounced on 2026-03-02; a new e-mail address clears it', newerResubscribes: false },
  complaint: { subscription: "suppressed", note: 'subscription kept "suppressed": the contact complained about a mail on 2026-03-02, after this consent of 2024-05-01', newerResubscribes: true },
};

describe("consent that holds, through the HTTP API on localhost", () => {
  let local: LocalStore;
  let store: DynamoDbStore;
  let server: Server;
  let base: string;
  let mail: LocalMail;
  let now = Date.parse(OPTED_OUT_AT);
  const clock = () => now;
  const s3 = mockClient(S3Client);
  const dir = mkdtempSync(join(tmpdir(), "clv-consent-"));

  beforeAll(async () => {
    [local, mail] = await Promise.all([openLocalStore(), startLocalMail()]);
    store = new DynamoDbStore(local.client, local.tableName, clock);
    server = await startLocalApi({ store, clock, unsubscribeSecret: async () => SECRET, storeName: "Test Shop", workflowIds: [workflow.id], apiKeyHashes: [hashApiKey(KEY)], throttle: false });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await mail?.stop();
    await local?.close();
  });

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", "x-api-key": KEY }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const form = (token: string, body: string) => fetch(`${base}/unsubscribe?token=${encodeURIComponent(token)}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  const profileOf = async (id: string) => (await store.getContact(id))!.profile!;
  const row = (id: string, consentAt: string) => `${id},${emailOf(id)},Ann,subscribed,${consentAt},ES`;
  const csv = (ids: readonly string[], consentAt: string) => ["id,email,first_name,subscription,consent_at,country", ...ids.map((id) => row(id, consentAt))].join("\n");

  /** The platform sends its consent again, by one path; the answer's or the report's notes. */
  async function consentBy(path: Path, ids: readonly string[], consentAt: string): Promise<Map<string, string[]>> {
    const notes = new Map<string, string[]>(ids.map((id) => [id, []]));
    const fromReport = (report: ImportReport) => {
      for (const line of report.notes) {
        const match = /^row \d+ \(contact ([^)]+)\): (.*)$/.exec(line);
        if (match) notes.get(match[1]!)?.push(match[2]!);
      }
    };
    if (path === "put") {
      for (const id of ids) {
        const response = await api("PUT", `/contacts/${id}`, { email: emailOf(id), firstName: "Ann", subscription: "subscribed", consentAt, country: "ES" });
        expect(response.status).toBe(200);
        notes.set(id, ((await response.json()) as { notes: string[] }).notes);
      }
    } else if (path === "csv") {
      const file = join(dir, `contacts-${consentAt.slice(0, 10)}.csv`);
      writeFileSync(file, csv(ids, consentAt));
      const report = await importContacts(store, file, { now: clock });
      expect(report).toMatchObject({ rows: ids.length, rejected: 0 });
      fromReport(report);
    } else {
      const body = csv(ids, consentAt);
      s3.reset();
      s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([body]) }) as never);
      s3.on(PutObjectCommand).resolves({});
      await importUpload({ s3: { bucket: { name: "uploads" }, object: { key: `imports/contacts/${consentAt.slice(0, 10)}.csv`, size: body.length } } }, { s3: new S3Client({}), store });
      // The report the S3 path writes beside the upload, as the store's engineer reads it.
      fromReport(JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as ImportReport);
    }
    return notes;
  }

  /** Each way of saying no, as the contact or its mail provider does it. */
  async function sayNo(id: string, way: Way): Promise<void> {
    const token = signUnsubscribeToken(id, now - 86_400_000, SECRET);
    if (way === "link") {
      const page = await fetch(`${base}/unsubscribe?token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      expect((await profileOf(id)).subscription).toBe("subscribed"); // the GET alone changes nothing
      expect((await form(token, "choice=unsubscribe")).status).toBe(200);
    } else if (way === "one-click") {
      expect((await form(token, "List-Unsubscribe=One-Click")).status).toBe(200);
    } else if (way === "api") {
      expect((await api("PUT", `/contacts/${id}`, { email: emailOf(id), firstName: "Ann", subscription: "unsubscribed", country: "ES" })).status).toBe(200);
    } else {
      expect((await api("POST", "/events", { contactId: id, type: way === "bounce" ? "bounced" : "complained", at: OPTED_OUT_AT })).status).toBe(202);
    }
  }

  it("an older consent by PUT, the contacts CSV or the S3 import does not re-subscribe, says so, and the next workflow run mails none of them", async () => {
    // Prepare: every contact subscribed (consent 2024-05-01), with an order, in the workflow's segment; one control contact
    const ids = paths.flatMap((path) => ways.map((way) => idOf(path, way)));
    for (const id of [...ids, "control"]) {
      expect((await api("PUT", `/contacts/${id}`, { email: emailOf(id), firstName: "Ann", subscription: "subscribed", consentAt: OLD_CONSENT, country: "ES" })).status).toBe(200);
      expect((await api("POST", "/orders", { id: `o-${id}`, contactId: id, createdAt: "2025-01-10T10:00:00Z", total: 30, currency: "EUR" })).status).toBe(201);
    }
    for (const path of paths) for (const way of ways) await sayNo(idOf(path, way), way);
    now += 3_600_000;

    // Act: the platform's routine sync, with the old consent, by each path
    const notes = new Map<string, string[]>();
    for (const path of paths) for (const [id, n] of await consentBy(path, ways.map((way) => idOf(path, way)), OLD_CONSENT)) notes.set(id, n);

    // Assess: each kept, said in words, nothing else of the update lost
    for (const path of paths) {
      for (const way of ways) {
        const id = idOf(path, way);
        const profile = await profileOf(id);
        expect([id, profile.subscription]).toEqual([id, kept[way].subscription]);
        expect([id, notes.get(id)]).toEqual([id, [kept[way].note]]);
        expect(profile).toMatchObject({ email: emailOf(id), firstName: "Ann", country: "ES" });
      }
    }
    const view = (await (await api("GET", `/contacts/${idOf("put", "link")}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ subscription: "unsubscribed", optedOutVia: "link", mayMail: false, orderCount: 1, revenue: 30 });
    expect((view.subscriptionHistory as { event: string }[]).map((h) => h.event)).toEqual(["consent", "opt-out", "consent"]);

    // Act: the next workflow run, every contact a member of its segment
    const coupons = new CouponStore(local.client, local.tableName);
    await coupons.createCouponSet({ id: workflow.couponSetId, name: "Come back", expiresAt: "2026-04-30T23:59:59Z" });
    await coupons.importCodes(workflow.couponSetId, Array.from({ length: 20 }, (_, i) => `BACK-${i}`));
    await store.applyMembershipChanges(workflow.segmentId, { entered: [...ids, "control"].map((contactId) => ({ contactId, enteredAt: new Date(now).toISOString() })), left: [], stayed: 0 });
    const email = {
      contacts: store,
      mailer: new SesMailer(sesClient(mail.endpoint)),
      sendLog: new DynamoDbSendLog(local.client, local.tableName),
      settings: EmailSettings.parse({ from: "Test Shop <hello@shop.example>", storeName: "Test Shop", storeUrl: "https://shop.example/", unsubscribeUrl: `${base}/unsubscribe`, unsubscribeSecret: SECRET }),
    };
    const runner = new LocalWorkflows([workflow], { store, client: local.client, tableName: local.tableName, coupons, email, clock });
    await enrolContacts(workflow, [...ids, "control"], { enrolments: store, starter: runner }, now);
    const executions = await runner.settled();

    // Assess: mail to the control contact only
    expect(executions.filter((e) => e.status === "failed")).toEqual([]);
    const recipients = new Set((await mail.listMail()).flatMap((m) => m.destination.to));
    expect([...recipients].filter((to) => ids.some((id) => to === emailOf(id)))).toEqual([]);
    expect(recipients.has(emailOf("control"))).toBe(true);
  });

  it("a consent newer than the opt-out re-subscribes by each path, except after a hard bounce, which only a new address clears", async () => {
    // Prepare: the state the test above left
    now += 3_600_000;

    // Act
    const notes = new Map<string, string[]>();
    for (const path of paths) for (const [id, n] of await consentBy(path, ways.map((way) => idOf(path, way)), NEW_CONSENT)) notes.set(id, n);

    // Assess
    for (const path of paths) {
      for (const way of ways) {
        const id = idOf(path, way);
        const expected = kept[way].newerResubscribes ? "subscribed" : "suppressed";
        expect([id, (await profileOf(id)).subscription]).toEqual([id, expected]);
        if (!kept[way].newerResubscribes) expect(notes.get(id)).toEqual([kept[way].note]);
      }
    }
    const bounced = idOf("put", "bounce");
    const moved = await api("PUT", `/contacts/${bounced}`, { email: "new-address@example.com", subscription: "subscribed", consentAt: NEW_CONSENT });
    expect(((await moved.json()) as { subscription: string }).subscription).toBe("subscribed");
  });

  it("erasure: after DELETE no item holds the address or the names, the store's totals are unchanged, and a re-import of the address is not mailed", async () => {
    // Prepare
    const id = "erase-me";
    expect((await api("PUT", `/contacts/${id}`, { email: "Erin.Erased@example.com", firstName: "Erin", subscription: "subscribed", consentAt: OLD_CONSENT, country: "IE" })).status).toBe(200);
    for (const [orderId, total] of [["e-1", 40], ["e-2", 25.5]] as const) {
      expect((await api("POST", "/orders", { id: orderId, contactId: id, createdAt: "2025-02-01T10:00:00Z", total, currency: "EUR" })).status).toBe(201);
    }
    await api("POST", "/events", { contactId: id, type: "opened", at: "2025-02-02T10:00:00Z", emailId: "w/coupon" });
    await store.putScores([{ contactId: id, orderCount: 2 } as never]);
    await store.putContactMemberships([{ contactId: id, memberships: { [workflow.segmentId]: "2025-03-01T00:00:00.000Z" } }]);
    await store.applyMembershipChanges(workflow.segmentId, { entered: [{ contactId: id, enteredAt: "2025-03-01T00:00:00.000Z" }], left: [], stayed: 0 });
    const totals = async () => {
      let orders = 0;
      let revenue = 0;
      for await (const page of store.scanHistories()) for (const h of page) (orders += h.orderCount), (revenue += h.revenue);
      return { orders, revenue: Math.round(revenue * 100) / 100 };
    };
    const before = await totals();
    const shown = (await (await api("GET", `/contacts/${id}`)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ email: "Erin.Erased@example.com", orderCount: 2, revenue: 65.5, segments: [{ segmentId: workflow.segmentId }] });

    // Act
    const erased = await api("DELETE", `/contacts/${id}`);

    // Assess
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({ erased: true, ordersKept: 2, addressSuppressed: true });
    expect((await api("GET", `/contacts/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/contacts/${id}`)).status).toBe(404);
    const { Items = [] } = await local.client.send(new ScanCommand({ TableName: local.tableName }));
    const text = JSON.stringify(Items).toLowerCase();
    expect(text).not.toContain("erin");
    expect(text).not.toContain("erased@example.com");
    expect(Items.filter((item) => String(item.PK) === `CONTACT#${id}` || String(item.SK) === `CONTACT#${id}`)).toEqual([]);
    expect(await totals()).toEqual(before);

    // Act: the platform imports the address again, with its old consent, under a new id
    const again = await api("PUT", "/contacts/erin-2", { email: "erin.erased@example.com", firstName: "Erin", subscription: "subscribed", consentAt: OLD_CONSENT });
    // Assess
    const body = (await again.json()) as { subscription: string; notes: string[]; mayMail?: boolean };
    expect(body.subscription).toBe("unsubscribed");
    expect(body.notes[0]).toMatch(/^subscription kept "unsubscribed": this address was erased on request on \d{4}-\d{2}-\d{2}/);
    expect(((await (await api("GET", "/contacts/erin-2")).json()) as { mayMail: boolean }).mayMail).toBe(false);
  });
});
