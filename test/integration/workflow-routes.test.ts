import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadEnvironmentError } from "../../functions/adapters/files/bad-environment.js";
import { DEPLOYED_WORKFLOWS_FILE } from "../../functions/adapters/files/deployed-workflows.js";
import { WORKFLOWS_DIR, shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import type { WorkflowFunnel } from "../../functions/domain/report/workflow-funnel.js";
import { executionName, type Enrolment } from "../../functions/domain/workflows/enrolment.js";
import { routes } from "../../functions/handlers/http/routes.js";
import { handlerEnvironment, httpDependencies } from "../../functions/handlers/runtime.js";
import { storeWorkflows, workflowStatus } from "../../functions/local/cli/workflow-commands.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

const KEY = "test-key-0123456789";
const ENROLLED_AT = "2024-05-01T03:00:00.000Z";
const workflow = shippedWorkflow("win-back");

/** One enrolment of the win-back workflow, ended as `fields` say. */
function enrolment(contactId: string, fields: Partial<Enrolment>): Enrolment {
  return { workflowId: workflow.id, contactId, executionName: executionName(workflow.id, contactId, ENROLLED_AT), enrolledAt: ENROLLED_AT, started: true, ...fields };
}

const MAILED = "2024-05-01T03:01:00.000Z";
const enrolments: Enrolment[] = [
  enrolment("m-1", { heldOut: false, couponCode: "WB-1", couponEmailSentAt: MAILED, purchasedInWindow: true, ordersInWindow: 1, revenueInWindow: 30, outcome: "purchased" }),
  enrolment("m-2", { heldOut: false, couponCode: "WB-2", couponEmailSentAt: MAILED, purchasedInWindow: true, ordersInWindow: 2, revenueInWindow: 50, outcome: "purchased" }),
  enrolment("m-3", { heldOut: false, couponCode: "WB-3", couponEmailSentAt: MAILED, purchasedInWindow: false, reminderSentAt: "2024-05-08T03:01:00.000Z", outcome: "reminded" }),
  enrolment("m-4", { heldOut: false, couponCode: "WB-4", couponEmailSentAt: MAILED, purchasedInWindow: false, reminderSentAt: "2024-05-08T03:01:00.000Z", outcome: "reminded" }),
  enrolment("h-1", { heldOut: true, purchasedInWindow: true, ordersInWindow: 1, revenueInWindow: 20, outcome: "held-out" }),
  enrolment("h-2", { heldOut: true, purchasedInWindow: false, outcome: "held-out" }),
  enrolment("h-3", { heldOut: true, purchasedInWindow: false, outcome: "held-out" }),
  // Still waiting: in no arm of the lift yet.
  enrolment("w-1", { heldOut: false, couponCode: "WB-5", couponEmailSentAt: MAILED }),
];

/** GET /workflows and GET /workflows/{id} on localhost over dynalite, as `npm run serve` wires them. */
describe("the workflows' funnel and lift in the HTTP API", () => {
  let local: LocalStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // Prepare: a store with the win-back workflow's enrolments, mailed, held out and still waiting.
    local = await openLocalStore({ tableName: "clv-workflow-routes" });
    for (const e of enrolments) await local.store.putEnrolment(e);
    server = await startLocalApi({
      store: local.store,
      clock: Date.now,
      unsubscribeSecret: async () => "a-secret-of-enough-length",
      apiKeyHashes: [hashApiKey(KEY)],
      workflows: { definitions: () => storeWorkflows(local.store, WORKFLOWS_DIR), enrolments: local.store },
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await local.close();
  });

  const get = async (path: string, key: string | null = KEY) => {
    const response = await fetch(`${base}${path}`, { headers: key === null ? {} : { "x-api-key": key } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("answers a workflow's funnel, lift and outcomes exactly as `clv workflows status` prints them", async () => {
    // Act
    const answer = await get(`/workflows/${workflow.id}`);
    const status = JSON.parse((await workflowStatus(local, WORKFLOWS_DIR, workflow.id))[0]!) as unknown;

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(status);
    expect(answer.body).toMatchObject({
      workflow: { id: "win-back", segmentId: "win-back" },
      funnel: { enrolled: 8, heldOut: 3, couponsAssigned: 5, emailsSent: 5, purchasedInWindow: 2, revenueInWindow: 80, reminded: 2 },
      outcomes: { purchased: 2, reminded: 2, "held-out": 3, running: 1 },
    });
    const { lift } = answer.body.funnel as WorkflowFunnel;
    expect(lift.mailed).toEqual({ contacts: 4, converted: 2, revenue: 80, conversionRate: 0.5, revenuePerContact: 20 });
    expect(lift.heldOut).toMatchObject({ contacts: 3, converted: 1, revenue: 20, conversionRate: 1 / 3 });
    // 0.5 − 1/3 more buyers per mailed contact, times the 4 mailed; the 95 % interval around it.
    expect(lift.incrementalConversions!.estimate).toBeCloseTo(4 * (0.5 - 1 / 3), 10);
    expect(lift.incrementalConversions!.low).toBeLessThan(lift.incrementalConversions!.estimate);
    expect(lift.incrementalConversions!.high).toBeGreaterThan(lift.incrementalConversions!.estimate);
    expect(lift.incrementalRevenue!.estimate).toBeCloseTo(4 * (20 - 20 / 3), 10);
  });

  it("lists each workflow file once, with its funnel", async () => {
    // Act
    const answer = await get("/workflows");

    // Assess
    expect(answer.status).toBe(200);
    const listed = answer.body.workflows as { workflow: { id: string }; funnel: { enrolled: number } }[];
    expect(listed.map((w) => w.workflow.id).sort()).toEqual(["low-clv-reactivation", "low-clv-relative-reactivation", "win-back"]);
    expect(listed.find((w) => w.workflow.id === "win-back")!.funnel.enrolled).toBe(8);
    expect(listed.find((w) => w.workflow.id === "low-clv-reactivation")!.funnel.enrolled).toBe(0);
  });

  it("answers an unknown workflow with 404 naming the workflows there are", async () => {
    // Act
    const answer = await get("/workflows/winback");

    // Assess
    expect(answer).toEqual({
      status: 404,
      body: { error: 'no workflow "winback"; the workflows are: low-clv-reactivation, low-clv-relative-reactivation, win-back', workflows: ["low-clv-reactivation", "low-clv-relative-reactivation", "win-back"] },
    });
  });

  it("answers a path with a broken %-escape with 400, as API Gateway does, not a 500", async () => {
    // Act
    const answers = [await get("/workflows/%E0%A4%A"), await get("/contacts/%E0")];

    // Assess
    expect(answers.map((a) => a.status)).toEqual([400, 400]);
  });

  it("wants the API key, as every route but unsubscribe", async () => {
    // Act
    const statuses = [(await get("/workflows", null)).status, (await get(`/workflows/${workflow.id}`, "not-our-key")).status];

    // Assess
    expect(statuses).toEqual([401, 403]);
  });

  it("answers the same from the workflows deployed in the Lambda's bundle (workflows.json, as the stack writes it)", async () => {
    // Prepare
    const bundle = mkdtempSync(join(tmpdir(), "clv-bundle-"));
    writeFileSync(join(bundle, DEPLOYED_WORKFLOWS_FILE), JSON.stringify([workflow]));
    const deps = httpDependencies(handlerEnvironment({ TABLE_NAME: local.tableName, DYNAMODB_ENDPOINT: local.endpoint, UNSUBSCRIBE_SECRET: "a-secret-of-enough-length", LAMBDA_TASK_ROOT: bundle }));
    const event = (routeKey: string, id?: string) => ({ routeKey, rawPath: "/", headers: {}, ...(id !== undefined && { pathParameters: { id } }) }) as unknown as APIGatewayProxyEventV2;

    // Act
    const one = await routes["GET /workflows/{id}"]!(event("GET /workflows/{id}", workflow.id), deps);
    const all = await routes["GET /workflows"]!(event("GET /workflows"), deps);
    const unknown = await routes["GET /workflows/{id}"]!(event("GET /workflows/{id}", "low-clv-reactivation"), deps);

    // Assess
    expect(one.statusCode).toBe(200);
    expect(JSON.parse(one.body!)).toEqual((await get(`/workflows/${workflow.id}`)).body);
    expect((JSON.parse(all.body!) as { workflows: unknown[] }).workflows).toHaveLength(1);
    expect(deps.workflowIds).toEqual(["win-back"]);
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body!)).toMatchObject({ workflows: ["win-back"] });
  });

  it("refuses at cold start an enrolment Lambda whose WORKFLOW_STATE_MACHINES is not JSON, naming the variable", async () => {
    // Prepare: the enrolment Lambda's environment with a broken map of state machines.
    const saved = { ...process.env };
    Object.assign(process.env, { TABLE_NAME: "t", WORKFLOW_STATE_MACHINES: "{" });
    const { handler } = await import("../../functions/handlers/workflow-enrol.js");

    // Act
    const started = handler({ source: "nightly" }, { functionName: "enrol", awsRequestId: "test", getRemainingTimeInMillis: () => 10_000 } as never).finally(() => {
      process.env = saved;
    });

    // Assess
    await expect(started).rejects.toThrow("bad environment: WORKFLOW_STATE_MACHINES: is not JSON");
    await expect(started).rejects.toBeInstanceOf(BadEnvironmentError);
  });

  it("refuses at cold start a bundle whose workflows.json is missing or not a list of workflow definitions, naming the file", () => {
    // Prepare
    const bundle = mkdtempSync(join(tmpdir(), "clv-bundle-"));
    const environment = { TABLE_NAME: "t", UNSUBSCRIBE_SECRET: "a-secret-of-enough-length", LAMBDA_TASK_ROOT: bundle };
    const missing = () => httpDependencies(handlerEnvironment(environment));
    const file = join(bundle, DEPLOYED_WORKFLOWS_FILE);

    // Act, Assess
    expect(missing).toThrow(`the deployed workflows (${file}) cannot be read`);
    writeFileSync(file, '[{"id":"x"');
    expect(missing).toThrow(`the deployed workflows (${file}) are not JSON`);
    writeFileSync(file, '[{"id":"x"}]');
    expect(missing).toThrow(/are not a list of workflow definitions: 0\.\w+/);
    expect(missing).toThrow(BadEnvironmentError);
    expect(() => handlerEnvironment({ UNSUBSCRIBE_SECRET: "a-secret-of-enough-length" })).toThrow(BadEnvironmentError);
  });
});
