import type { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serviceLogger } from "../../functions/adapters/logging/logger.js";
import { captureMetrics, putMetrics, type EmfRecord } from "../../functions/adapters/logging/metrics.js";
import { REDACTED_EMAIL, redactEmails, redactError, withRedactedErrors } from "../../functions/adapters/logging/redact.js";
import { PermanentSendError } from "../../functions/domain/email/send-errors.js";

afterEach(() => {
  vi.restoreAllMocks();
  captureMetrics(undefined);
});

/** What a function writes to stdout (where the EMF lines go), line by line. */
function stdoutOf(run: () => void): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => (lines.push(...String(chunk).split("\n").filter(Boolean)), true));
  run();
  vi.restoreAllMocks();
  return lines;
}

/** The lines a logger prints: Powertools writes through a Console of its own, on stdout. */
function linesOf(logger: Logger, run: (logger: Logger) => void): string[] {
  const lines: string[] = [];
  const console = (logger as unknown as { console: Record<string, (line: string) => void> }).console;
  for (const method of ["log", "info", "warn", "error", "debug"]) vi.spyOn(console, method as never).mockImplementation(((line: string) => void lines.push(line)) as never);
  run(logger);
  vi.restoreAllMocks();
  return lines;
}

describe("e-mail redaction", () => {
  it("takes every address out of a text, however it is written", () => {
    // Act and assess
    expect(redactEmails("failed the check in region EU-WEST-1: ann.lee+shop@example.co.uk")).toBe(`failed the check in region EU-WEST-1: ${REDACTED_EMAIL}`);
    expect(redactEmails('"Ann" <ann@example.com>, bob@x.io')).toBe(`"Ann" <${REDACTED_EMAIL}>, ${REDACTED_EMAIL}`);
    expect(redactEmails("/unsubscribe?to=ann%40example.com&x=1")).toBe(`/unsubscribe?to=${REDACTED_EMAIL}&x=1`);
    expect(redactEmails("order o-17 of c-42 at 12:00, 40 % off")).toBe("order o-17 of c-42 at 12:00, 40 % off");
  });

  it("redacts an error in place, keeping its class and name for Step Functions' Retry and Catch", async () => {
    // Act
    const error = redactError(new PermanentSendError("MessageRejected", "SES SendEmail: MessageRejected (HTTP 400): not verified: ann@example.com"));
    // Assess
    expect(error).toBeInstanceOf(PermanentSendError);
    expect(error.name).toBe("PermanentSendError");
    expect(error.message).toBe(`SES SendEmail: MessageRejected (HTTP 400): not verified: ${REDACTED_EMAIL}`);
    expect(error.stack).not.toContain("ann@example.com");
    const failing = withRedactedErrors(async () => {
      throw new Error("no contact ann@example.com");
    });
    await expect(failing(undefined)).rejects.toThrow(`no contact ${REDACTED_EMAIL}`);
  });
});

describe("the structured logger", () => {
  it("writes one JSON line per entry, with every address redacted: message, fields, address fields, errors", () => {
    // Prepare
    const [line] = linesOf(serviceLogger("test", { POWERTOOLS_LOG_LEVEL: "INFO" }), (logger) =>
      logger.error("mail to ann@example.com failed", {
        contactId: "bob@example.com",
        email: "Display Name Only",
        nested: { to: ["carol@example.com"], note: "see dave@example.com" },
        error: new Error("SES refused eve@example.com"),
      }),
    );
    // Act
    const entry = JSON.parse(line!) as Record<string, unknown>;
    // Assess
    expect(entry).toMatchObject({ level: "ERROR", service: "test", message: `mail to ${REDACTED_EMAIL} failed`, contactId: REDACTED_EMAIL, email: REDACTED_EMAIL, nested: { to: REDACTED_EMAIL, note: `see ${REDACTED_EMAIL}` } });
    expect((entry.error as { message: string }).message).toBe(`SES refused ${REDACTED_EMAIL}`);
    expect(line).not.toMatch(/@example\.com/);
  });

  it("logs from INFO in a Lambda and from WARN elsewhere (the local runner's output is the demo's)", () => {
    // Act and assess
    expect(linesOf(serviceLogger("test", { AWS_LAMBDA_FUNCTION_NAME: "fn" }), (l) => l.info("hello"))).toHaveLength(1);
    expect(linesOf(serviceLogger("test", {}), (l) => l.info("hello"))).toHaveLength(0);
    expect(linesOf(serviceLogger("test", {}), (l) => l.warn("careful"))).toHaveLength(1);
  });
});

describe("metrics as CloudWatch Embedded Metric Format lines", () => {
  it("writes one EMF line to stdout in a Lambda: the namespace, the dimensions, each metric's unit", () => {
    // Prepare
    const env = { AWS_LAMBDA_FUNCTION_NAME: "fn", METRICS_NAMESPACE: "Clv/Shop" };
    // Act
    const [line] = stdoutOf(() => putMetrics({ SegmentSize: 42 }, { dimensions: { SegmentId: "win-back" }, properties: { runId: "r1" } }, env, 1_717_200_000_000));
    // Assess
    expect(JSON.parse(line!)).toEqual({
      _aws: { Timestamp: 1_717_200_000_000, CloudWatchMetrics: [{ Namespace: "Clv/Shop", Dimensions: [["SegmentId"]], Metrics: [{ Name: "SegmentSize", Unit: "Count" }] }] },
      SegmentSize: 42,
      SegmentId: "win-back",
      runId: "r1",
    });
  });

  it("puts a store-wide figure with no dimension, leaves out values that are not numbers, redacts properties", () => {
    // Prepare
    const records: EmfRecord[] = [];
    captureMetrics((r) => records.push(r));
    putMetrics({ ModelLogLikelihood: -9582.43, HoldoutMeanAbsoluteError: undefined, Eligible: Number.NaN }, { properties: { note: "for ann@example.com" } });
    // Act
    putMetrics({ EmailsSent: undefined });
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]!._aws.CloudWatchMetrics[0]).toEqual({ Namespace: "ClvReactivation", Dimensions: [[]], Metrics: [{ Name: "ModelLogLikelihood", Unit: "None" }] });
    expect(records[0]).toMatchObject({ ModelLogLikelihood: -9582.43, note: `for ${REDACTED_EMAIL}` });
  });

  it("writes nothing outside a Lambda unless a test catches it", () => {
    // Act and assess
    expect(stdoutOf(() => putMetrics({ EmailsSent: 1 }, {}, {}))).toEqual([]);
  });
});
