import { Readable } from "node:stream";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { DynamoDbSendLog } from "../../functions/adapters/dynamodb/send-log.js";
import { createStoreTable, STORE_MAX_ATTEMPTS, storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import { captureMetrics, type EmfRecord } from "../../functions/adapters/logging/metrics.js";
import { REDACTED_EMAIL } from "../../functions/adapters/logging/redact.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { EmailSettings } from "../../functions/domain/email/send-workflow-email.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { enrolContacts } from "../../functions/domain/workflows/workflow-steps.js";
import { handleContactChanges } from "../../functions/handlers/contact-changes.js";
import { scoreSegment } from "../../functions/handlers/nightly-score-segment.js";
import { useDynaliteAndMail } from "../support/dynalite.js";
import { runNightlyLocally } from "../../functions/local/local-nightly.js";
import { LocalWorkflows } from "../../functions/local/local-workflows.js";
import { synthesizedResources } from "../../functions/local/stack-synth.js";
import { NIGHTLY_STATES } from "../../lib/nightly-scoring.js";
import { contactScores } from "../support/contact-scores.js";

/**
 * Faults injected into the real code paths (dynalite, the synthesized state machines under
 * aws-local-stepfunctions, aws-ses-v2-local): DynamoDB throttling, a scoring Lambda that dies
 * halfway, SES rejecting a mail, a poisoned stream record. Each test prints its figures for the
 * README's "Faults and abuse" table.
 */

const NOW = Date.parse("2024-06-30T00:00:00Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const services = useDynaliteAndMail();
let tables = 0;
afterEach(() => {
  vi.useRealTimers();
  captureMetrics(undefined);
});

/** `contacts` contacts with 1 to 4 orders each over the last 400 days; the same every run. */
function storeOrders(contacts: number): OrderInput[] {
  const orders: OrderInput[] = [];
  for (let i = 0; i < contacts; i++) {
    for (let k = 0; k <= i % 4; k++) {
      orders.push({ id: `o-${i}-${k}`, contactId: `c-${i}`, createdAt: iso(NOW - (5 + ((i * 37 + k * 53) % 400)) * DAY), total: 10 + ((i * 7 + k * 13) % 90), currency: "EUR", status: "placed" });
    }
  }
  return orders;
}

type Handler = { handle(request: { headers: Record<string, string> }, options?: unknown): Promise<{ response: unknown }> };

/**
 * A transport in front of dynalite that answers some requests as DynamoDB does when it throttles
 * (HTTP 400, ProvisionedThroughputExceededException) without passing them on: what the SDK's retry
 * and the state machines' Retry must ride out. `loseResponse` requests are passed on and done, and
 * their answer lost (a connection reset): the SDK tries again a write that was made.
 */
function throttlingTransport(throttle: (operation: string, request: number, attempt: number) => boolean, loseResponse: (request: number) => boolean = () => false) {
  const inner = storeClient({ endpoint: services.dynamo.endpoint }).config.requestHandler as unknown as Handler;
  const stats = { requests: 0, throttled: 0, lostResponses: 0, inFlight: 0 };
  const handle: Handler["handle"] = async (request, options) => {
    const operation = (request.headers["x-amz-target"] ?? "").replace("DynamoDB_20120810.", "");
    // The SDK numbers its tries of one call: "attempt=3; max=8".
    const attempt = Number(/attempt=(\d+)/.exec(request.headers["amz-sdk-request"] ?? "")?.[1] ?? 1);
    const n = ++stats.requests;
    if (!throttle(operation, n, attempt)) {
      stats.inFlight++;
      const answer = await inner.handle(request, options).finally(() => stats.inFlight--);
      if (!loseResponse(n) || !/Put|Update|Write/.test(operation)) return answer;
      (answer.response as { body: Readable }).body.resume();
      stats.lostResponses++;
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    }
    stats.throttled++;
    const body = { __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", message: "The level of configured provisioned throughput for the table was exceeded." };
    return {
      response: {
        statusCode: 400,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `throttled-${stats.requests}` },
        body: Readable.from([Buffer.from(JSON.stringify(body))]),
      },
    };
  };
  return { stats, requestHandler: { handle } as never };
}

/**
 * Runs `run` with the SDK's backoff (and the adaptive mode's client-side rate limit) in fake time:
 * setTimeout and Date are fake, and the clock moves on (50 ms a turn) only while no request is on
 * its way to dynalite (`inFlight`): waiting costs no real time, and I/O costs no fake time (the
 * adaptive mode measures its sending rate on that clock). Eight tries of one call wait up to a
 * minute and more on a real clock.
 */
async function withBackoffInFakeTime<T>(run: () => Promise<T>, inFlight: () => number = () => 0): Promise<{ result: T; fakeSeconds: number }> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: Date.now() });
  const started = Date.now();
  try {
    const running = run();
    let settled = false;
    void running.finally(() => (settled = true)).catch(() => {});
    let idleTurns = 0;
    while (!settled) {
      // A few turns of the real event loop with nothing in flight: everything waits on a timer.
      idleTurns = inFlight() > 0 ? 0 : idleTurns + 1;
      // Steps, not jumps to the next timer: the adaptive rate limit waits fractions of a millisecond
      // and refills by the clock, so a jump to its timer would not move the clock at all.
      if (idleTurns > 3) await vi.advanceTimersByTimeAsync(50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { result: await running, fakeSeconds: (Date.now() - started) / 1000 };
  } finally {
    vi.useRealTimers();
  }
}

/**
 * One call in `every` throttled on its first try. Not more: the SDK's retry quota (500 tokens, 5 a
 * throttled retry, refunded when the call then succeeds, lost when it ends in another error) drains
 * under denser throttling, and calls then fail before their 8 tries; that, and what takes over, is
 * the next test.
 */
const throttlingOneIn = (every: number) => (_operation: string, request: number, attempt: number) => attempt === 1 && request % every === 0;

async function newTable(): Promise<string> {
  const tableName = `faults-${++tables}`;
  await createStoreTable(storeClient({ endpoint: services.dynamo.endpoint }), tableName);
  return tableName;
}

/** Counts score writes per contact, through whichever store the night is given. */
function countingScoreWrites(store: DynamoDbStore, beforeWrite?: (scores: readonly ContactScores[]) => Promise<readonly ContactScores[]>) {
  const writes = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, property) {
      if (property === "putScores") {
        return async (scores: readonly ContactScores[]) => {
          const now = beforeWrite ? await beforeWrite(scores) : scores;
          await target.putScores(now);
          for (const s of now) writes.set(s.contactId, (writes.get(s.contactId) ?? 0) + 1);
          // What beforeWrite held back dies with the Lambda.
          if (now.length < scores.length) throw Object.assign(new Error("Runtime exited with error: signal: killed"), { name: "Lambda.Unknown" });
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, writes };
}

async function everyScore(store: DynamoDbStore): Promise<Map<string, ContactScores>> {
  const scores = new Map<string, ContactScores>();
  for await (const page of store.listScores()) for (const s of page) scores.set(s.contactId, s);
  return scores;
}

describe("DynamoDB throttling, injected between the SDK and dynalite", () => {
  it("throttled and lost answers: every order counted once, and the night scores what an unthrottled night scores", async () => {
    // Prepare
    const orders = storeOrders(100);
    // The same store and night without throttling, to compare with.
    const calm = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), await newTable());
    await calm.recordOrders(orders);
    const calmNight = await runNightlyLocally(calm, NOW, { scanSegments: 4 });

    // One call in seven throttled, through the order writes and the night; and the answer to one
    // write in 40 lost after it was made.
    const { stats, requestHandler } = throttlingTransport(throttlingOneIn(7), (n) => n % 40 === 0);
    const tableName = await newTable();
    const throttled = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint, requestHandler }), tableName);
    const started = performance.now();
    let resent = 0;
    const { result: night, fakeSeconds } = await withBackoffInFakeTime(async () => {
      // Five senders at once: the API's path, one order at a time. A call the SDK gives up on (its
      // retry quota runs low under this much throttling; one clean-clone run ended a lost answer's
      // call that way) is sent again, as a platform re-sends after a 5xx: still counted once.
      const queue = [...orders];
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let order = queue.shift(); order; order = queue.shift()) {
            for (let tries = 1; ; tries++) {
              try {
                await throttled.recordOrder(order);
                break;
              } catch (error) {
                if (tries >= 5) throw error;
                resent++;
              }
            }
          }
        }),
      );
      return runNightlyLocally(throttled, NOW, { scanSegments: 4 });
    }, () => stats.inFlight);
    const seconds = (performance.now() - started) / 1000;
    // Read back with a client of its own: the throttled one's rate limit lives on the fake clock.
    const written = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), tableName);

    // Act and assess
    expect(stats.throttled).toBeGreaterThanOrEqual(50);
    expect(stats.lostResponses).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 100; i++) {
      const [a, b] = await Promise.all([calm.getContact(`c-${i}`), written.getContact(`c-${i}`)]);
      expect(b!.history, `c-${i}`).toMatchObject({ orderCount: a!.history!.orderCount, revenue: a!.history!.revenue });
    }
    expect(night.summary).toMatchObject({ contacts: calmNight.summary.contacts, scoresWritten: calmNight.summary.scoresWritten });
    const strip = (m: Map<string, ContactScores>) => [...m.values()].sort((x, y) => x.contactId.localeCompare(y.contactId));
    expect(strip(await everyScore(written))).toEqual(strip(await everyScore(calm)));
    console.log(`[faults] throttling (one call in 7) and lost answers: ${stats.requests} requests, ${stats.throttled} throttled (${((100 * stats.throttled) / stats.requests).toFixed(1)} %), ${stats.lostResponses} writes made but their answer lost; ${orders.length} orders by 5 senders (${resent} sent again after the SDK gave up), ${night.summary.contacts} contacts scored; 0 lost, 0 counted twice; ${seconds.toFixed(1)} s (${fakeSeconds.toFixed(0)} s of SDK backoff and rate limit, in fake time)`);
  });

  it("a throttling storm longer than the SDK's tries: it gives up, and the state machine's Retry takes over", async () => {
    // Prepare
    const tableName = await newTable();
    await new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), tableName).recordOrders(storeOrders(60));
    // 1. Every score write refused: the production client tries STORE_MAX_ATTEMPTS times, then gives up.
    const { stats, requestHandler } = throttlingTransport((operation) => operation === "BatchWriteItem");
    const stormy = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint, requestHandler }), tableName);
    const one: ContactScores[] = [contactScores({ contactId: "c-0" })];
    // Act
    const { result: error, fakeSeconds } = await withBackoffInFakeTime(
      () => stormy.putScores(one).then(() => undefined, (e: unknown) => e as Error & { $metadata: { attempts: number } }),
      () => stats.inFlight,
    );
    // Assess
    expect(error).toMatchObject({ name: "ProvisionedThroughputExceededException", $metadata: { attempts: STORE_MAX_ATTEMPTS } });
    expect(stats.throttled).toBe(STORE_MAX_ATTEMPTS);

    // 2. A scan segment's Lambda that fails with it is run again by the state machine, and the night completes.
    const store = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), tableName);
    const score = scoreSegment({ store: async () => store });
    const runs: number[] = [];
    const night = await runNightlyLocally(store, NOW, {
      scanSegments: 2,
      tasks: {
        [NIGHTLY_STATES.scoreSegment]: async (input) => {
          runs.push((input as { segment: number }).segment);
          if (runs.length === 1) throw error;
          return score(input);
        },
      },
    });
    expect(runs.sort()).toEqual([0, 0, 1]);
    expect(night.summary.contacts).toBe(60);
    expect((await everyScore(store)).size).toBe(60);
    console.log(`[faults] throttling storm: every score write refused; the SDK gave up after ${error!.$metadata.attempts} tries (${fakeSeconds.toFixed(0)} s of backoff, in fake time) with ${error!.name}; the state machine ran that segment again (${runs.length} Lambda runs for 2 segments); night complete, 60/60 scored`);
  });
});

describe("a scoring Lambda that dies halfway", () => {
  async function storeWith(contacts: number) {
    const store = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), await newTable());
    await store.recordOrders(storeOrders(contacts));
    await store.putSegmentDefinition(segmentTemplates.find((t) => t.id === "win-back")!);
    return store;
  }

  it("dies once after writing half its scores: the Map item is run again, finishes, and no contact is scored twice", async () => {
    // Prepare
    const store = await storeWith(200);
    let deaths = 0;
    const { store: dying, writes } = countingScoreWrites(store, async (scores) => {
      // The first scan segment's first Lambda writes half of its contacts' scores, then dies.
      if (deaths === 0 && scores.length > 1) {
        deaths++;
        return scores.slice(0, Math.floor(scores.length / 2));
      }
      return scores;
    });
    // Act
    const night = await runNightlyLocally(store, NOW, { scanSegments: 4, tasks: { [NIGHTLY_STATES.scoreSegment]: scoreSegment({ store: async () => dying }) } });

    // Assess
    expect(deaths).toBe(1);
    expect(night.summary.contacts).toBe(200);
    expect(writes.size).toBe(200);
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
    expect((await everyScore(store)).size).toBe(200);
    expect((await store.latestNightlySummary())).toMatchObject({ runId: night.plan.runId, contacts: 200 });
    console.log(`[faults] Lambda died halfway: 1 death, the segment re-run by the Map's Retry (Lambda.Unknown); 200 contacts in the run's record, 200 score writes, max ${Math.max(...writes.values())} per contact`);
  });

  it("dies on every try: the night fails, the last completed run stays current; the night run again finishes with no contact scored twice", async () => {
    // Prepare
    const store = await storeWith(120);
    const first = await runNightlyLocally(store, NOW - DAY, { scanSegments: 2 });
    // The next night, with an order that changes every contact's figures.
    await store.recordOrders(Array.from({ length: 120 }, (_, i) => ({ id: `new-${i}`, contactId: `c-${i}`, createdAt: iso(NOW - DAY / 2), total: 25, currency: "EUR" as const, status: "placed" as const })));
    let deaths = 0;
    const { store: alwaysDying, writes } = countingScoreWrites(store, async (scores) => {
      if (scores.length > 1) {
        deaths++;
        return scores.slice(0, Math.floor(scores.length / 2));
      }
      return scores;
    });
    // Every try of every segment, awaited to its end: a Map that fails may leave others running.
    const tries: Promise<unknown>[] = [];
    const dyingSegment = scoreSegment({ store: async () => alwaysDying });
    // Act and assess
    await expect(
      runNightlyLocally(store, NOW, { scanSegments: 2, tasks: { [NIGHTLY_STATES.scoreSegment]: (input) => (tries.push(dyingSegment(input)), tries.at(-1)!) } }),
    ).rejects.toThrow(/signal: killed/);
    await Promise.allSettled(tries);
    expect((await store.latestCompletedPlan())?.runId).toBe(first.plan.runId);
    const diedWith = writes.size;

    // The operator starts the night again (the same scheduled time, so the same run).
    const { store: healthy, writes: rerunWrites } = countingScoreWrites(store);
    const again = await runNightlyLocally(store, NOW, { scanSegments: 2, tasks: { [NIGHTLY_STATES.scoreSegment]: scoreSegment({ store: async () => healthy }) } });
    expect(again.plan.runId).toBe(iso(NOW));
    expect(again.summary.contacts).toBe(120);
    for (let i = 0; i < 120; i++) expect((writes.get(`c-${i}`) ?? 0) + (rerunWrites.get(`c-${i}`) ?? 0), `c-${i}`).toBe(1);
    expect((await store.latestNightlySummary())).toMatchObject({ runId: iso(NOW), contacts: 120 });
    console.log(`[faults] Lambda died on every try: ${deaths} deaths (1 try + 2 retries per segment), night failed with ${diedWith} of 120 scores written; re-run finished the other ${rerunWrites.size}; every contact written once`);
  });
});

describe("SES rejecting a mail", () => {
  const workflow = shippedWorkflow("low-clv-reactivation");

  it("a rejected address fails its workflow once, without retries and without the address in any record; the others' mail goes", async () => {
    // Prepare
    const client = storeClient({ endpoint: services.dynamo.endpoint });
    const tableName = await newTable();
    const store = new DynamoDbStore(client, tableName);
    const coupons = new CouponStore(client, tableName);
    await coupons.createCouponSet({ id: workflow.couponSetId, name: "Come back", expiresAt: "2024-07-31T23:59:59Z", lowStockThreshold: 5 });
    await coupons.importCodes(workflow.couponSetId, ["BACK-1", "BACK-2", "BACK-3", "BACK-4"]);
    for (const id of ["accepted", "rejected"]) {
      await store.putContact(id, { email: `${id}@example.com`, firstName: "Ana", subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z" });
      await store.recordOrder({ id: `o-${id}`, contactId: id, createdAt: "2024-01-10T10:00:00Z", total: 30, currency: "EUR", status: "placed" });
    }
    await store.applyMembershipChanges(workflow.segmentId, { entered: ["accepted", "rejected"].map((contactId) => ({ contactId, enteredAt: iso(NOW) })), left: [], stayed: 0 });

    // SES in the sandbox refuses an unverified recipient, naming it in the message.
    const local = sesClient(services.mail.endpoint);
    const sends: string[] = [];
    const ses = {
      send: async (command: { input: { Destination?: { ToAddresses?: string[] } } }) => {
        const to = command.input.Destination?.ToAddresses?.[0] ?? "";
        sends.push(to);
        if (to.startsWith("rejected@")) {
          throw Object.assign(new Error(`Email address is not verified. The following identities failed the check in region EU-WEST-1: ${to}`), { name: "MessageRejected", $metadata: { httpStatusCode: 400 } });
        }
        return local.send(command as never);
      },
    } as unknown as SESv2Client;
    const metrics: EmfRecord[] = [];
    captureMetrics((record) => metrics.push(record));
    const printed: string[] = [];
    const spy = (stream: NodeJS.WriteStream) => vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => (printed.push(String(chunk)), true));
    const [out, err] = [spy(process.stdout), spy(process.stderr)];

    const runner = new LocalWorkflows([workflow], {
      store,
      client,
      tableName,
      coupons,
      clock: () => NOW,
      email: {
        contacts: store,
        mailer: new SesMailer(ses),
        sendLog: new DynamoDbSendLog(client, tableName),
        settings: EmailSettings.parse({ from: "Shop <hola@shop.example>", storeName: "Shop", storeUrl: "https://shop.example/", unsubscribeUrl: "http://127.0.0.1:3000/unsubscribe", unsubscribeSecret: "a-test-secret-of-enough-length" }),
      },
    });

    // Act
    await enrolContacts(workflow, ["accepted", "rejected"], { enrolments: store, starter: runner }, NOW);
    const executions = await runner.settled();
    out.mockRestore();
    err.mockRestore();

    // Assess
    const byContact = Object.fromEntries(executions.map((e) => [e.contactId, e]));
    expect(byContact.accepted!.status).toBe("succeeded");
    expect(byContact.rejected!.status).toBe("failed");
    // A permanent refusal is not retried: one SendEmail for the rejected address.
    expect(sends.filter((to) => to.startsWith("rejected@"))).toHaveLength(1);
    expect(sends.filter((to) => to.startsWith("accepted@"))).toHaveLength(2);
    const rejected = await store.getEnrolment(workflow.id, "rejected");
    expect(rejected).toMatchObject({ outcome: "failed" });
    expect(rejected!.error).toContain("MessageRejected");
    expect(rejected!.error).toContain(REDACTED_EMAIL);
    expect(byContact.rejected!.error).toContain(REDACTED_EMAIL);
    for (const text of [rejected!.error!, byContact.rejected!.error!, ...printed, JSON.stringify(metrics)]) expect(text).not.toMatch(/rejected@example\.com/);
    expect(await store.getEnrolment(workflow.id, "accepted")).toMatchObject({ outcome: "reminded" });
    // Metrics: two mails sent (coupon and reminder), the coupon set's stock after each assignment, low (≤ 5 left).
    const values = (name: string) => metrics.filter((m) => name in m).map((m) => m[name] as number);
    expect(values("EmailsSent")).toEqual([1, 1]);
    // Read after each assignment; the two run at once, so both may read 2.
    expect(values("CouponsLeft")).toHaveLength(2);
    expect(Math.min(...values("CouponsLeft"))).toBe(2);
    expect(values("CouponStockLow")).toEqual([1, 1]);
    console.log(`[faults] SES rejecting: 1 of 2 contacts refused (MessageRejected), 1 SendEmail try for it, execution failed and recorded with the address redacted; the other got 2 mails; the address in no record, error or metric`);
  });
});

describe("a poisoned stream record", () => {
  /**
   * Lambda's event source mapping for a DynamoDB stream, as the stack configures it (read from the
   * synthesized template): a batch goes to the handler; on a partial failure (ReportBatchItemFailures)
   * it is retried from the first failed record, up to MaximumRetryAttempts, and then that range is
   * sent to the on-failure destination, the dead-letter queue, and the shard moves on.
   */
  async function eventSourceMapping(records: { dynamodb: { SequenceNumber: string } }[], handle: (event: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>) {
    const [mapping] = Object.entries(synthesizedResources()).filter(([id, r]) => r.Type === "AWS::Lambda::EventSourceMapping" && JSON.stringify(r.Properties).includes("PROFILE"));
    const { MaximumRetryAttempts: retries, FunctionResponseTypes: responseTypes } = mapping![1].Properties as { MaximumRetryAttempts: number; FunctionResponseTypes: string[] };
    expect(responseTypes).toEqual(["ReportBatchItemFailures"]);
    const deadLetters: { firstSequenceNumber: string; lastSequenceNumber: string; batchSize: number }[] = [];
    let batch = records;
    let invocations = 0;
    for (let attempt = 0; batch.length > 0; attempt++) {
      invocations++;
      const { batchItemFailures } = await handle({ Records: batch });
      if (batchItemFailures.length === 0) break;
      const firstFailed = Math.min(...batchItemFailures.map((f) => batch.findIndex((r) => r.dynamodb.SequenceNumber === f.itemIdentifier)));
      batch = batch.slice(firstFailed);
      if (attempt === retries) {
        deadLetters.push({ firstSequenceNumber: batch[0]!.dynamodb.SequenceNumber, lastSequenceNumber: batch.at(-1)!.dynamodb.SequenceNumber, batchSize: batch.length });
        break;
      }
    }
    return { deadLetters, invocations, retries };
  }

  it("goes to the dead-letter queue after the retries; every other contact in the batch is rescored, once", async () => {
    // Prepare
    const store = new DynamoDbStore(storeClient({ endpoint: services.dynamo.endpoint }), await newTable());
    await store.recordOrders(storeOrders(60));
    await store.putSegmentDefinition(segmentTemplates.find((t) => t.id === "win-back")!);
    await runNightlyLocally(store, NOW, { scanSegments: 2 });
    const before = await everyScore(store);
    // Fifty contacts order again; their profile changes reach the stream, a poisoned record among them.
    const later = NOW + 3_600_000;
    await store.recordOrders(Array.from({ length: 50 }, (_, i) => ({ id: `again-${i}`, contactId: `c-${i}`, createdAt: iso(later - 60_000), total: 40, currency: "EUR" as const, status: "placed" as const })));
    const record = (contactId: string, sequence: number) => ({ eventName: "MODIFY", dynamodb: { Keys: { PK: { S: `CONTACT#${contactId}` }, SK: { S: "PROFILE" } }, SequenceNumber: String(sequence) } });
    const poisoned = { eventName: "MODIFY", dynamodb: { Keys: { PK: { S: "CONTACT#" }, SK: { N: "7" } }, SequenceNumber: "1025" } };
    const records = [...Array.from({ length: 25 }, (_, i) => record(`c-${i}`, 1000 + i)), poisoned, ...Array.from({ length: 25 }, (_, i) => record(`c-${25 + i}`, 1026 + i))];

    const { store: counted, writes } = countingScoreWrites(store);
    // Act
    const { deadLetters, invocations, retries } = await eventSourceMapping(records, (event) => handleContactChanges(counted, event, later));

    // Assess
    expect(deadLetters).toEqual([{ firstSequenceNumber: "1025", lastSequenceNumber: "1050", batchSize: 26 }]);
    expect(invocations).toBe(retries + 1);
    const after = await everyScore(store);
    for (let i = 0; i < 50; i++) {
      expect(after.get(`c-${i}`)!.orderCount, `c-${i}`).toBe(before.get(`c-${i}`)!.orderCount + 1);
      // Retried records are rescored again, but their scores no longer change: written once.
      expect(writes.get(`c-${i}`), `c-${i}`).toBe(1);
    }
    for (let i = 50; i < 60; i++) expect(after.get(`c-${i}`)).toEqual(before.get(`c-${i}`));
    console.log(`[faults] poisoned stream record: 51 records, 1 poisoned; ${invocations} invocations (${retries} retries from it), dead-letter range ${deadLetters[0]!.firstSequenceNumber}–${deadLetters[0]!.lastSequenceNumber}; 50/50 contacts rescored, each score written once`);
  });
});
