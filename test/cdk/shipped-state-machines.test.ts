import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { workflowLogicalIdPrefix } from "../../functions/local/local-workflows.js";
import { synthesizedDefinition } from "../../functions/local/stack-synth.js";
import { shippedStateMachines } from "../../functions/local/state-machines.js";

/**
 * The shipped stack's state machines kept between runs (npm start, clv nightly): the JSON a fresh
 * synthesis gives, read back while the sources are unchanged, synthesized again when they are not.
 */
describe("the shipped state machines kept between runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "clv-state-machines-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const workflow = workflowLogicalIdPrefix("low-clv-relative-reactivation");

  it("gives the definitions cdk synth makes, and keeps them with the digest and the ones validated", async () => {
    // Prepare
    const file = join(dir, "first.json");

    // Act
    const nightly = await shippedStateMachines(file).definition("Nightly");
    const kept = JSON.parse(readFileSync(file, "utf8")) as { digest: string; definitions: Record<string, unknown>; validated: string[] };

    // Assess
    expect(nightly).toEqual(synthesizedDefinition("Nightly"));
    expect(kept.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(kept.definitions).filter((id) => id.startsWith("Nightly"))).toHaveLength(1);
    expect(Object.keys(kept.definitions).some((id) => id.startsWith(workflow))).toBe(true);
    expect(kept.validated).toEqual(Object.keys(kept.definitions).filter((id) => id.startsWith("Nightly")));
    // asl-validator fills in QueryLanguage where it checks; the kept JSON is the synthesized one.
    expect(JSON.stringify(kept.definitions)).not.toContain("QueryLanguage");
  });

  it("reads the kept definitions back while the digest matches, and synthesizes again when it does not", async () => {
    // Prepare: a kept file whose workflow definition is marked, once with this digest and once with another
    const file = join(dir, "second.json");
    await shippedStateMachines(file).definition("Nightly");
    const kept = JSON.parse(readFileSync(file, "utf8")) as { digest: string; definitions: Record<string, Record<string, unknown>>; validated: string[] };
    const id = Object.keys(kept.definitions).find((key) => key.startsWith(workflow))!;
    kept.definitions[id]!.Comment = "read from the kept file";
    writeFileSync(file, JSON.stringify(kept));
    const stale = join(dir, "stale.json");
    writeFileSync(stale, JSON.stringify({ ...kept, digest: "0".repeat(64) }));

    // Act
    const fromFile = await shippedStateMachines(file).definition(workflow);
    const fromStale = await shippedStateMachines(stale).definition(workflow);

    // Assess
    expect(fromFile.Comment).toBe("read from the kept file");
    expect(fromStale.Comment).toBeUndefined();
    expect(fromStale).toEqual(synthesizedDefinition(workflow));
    expect((JSON.parse(readFileSync(stale, "utf8")) as { digest: string }).digest).toBe(kept.digest);
  });

  it("refuses a kept definition that asl-validator finds wrong, before any run", async () => {
    // Prepare: a kept workflow definition, never validated, whose first state is missing
    const file = join(dir, "broken.json");
    await shippedStateMachines(file).definition("Nightly");
    const kept = JSON.parse(readFileSync(file, "utf8")) as { definitions: Record<string, Record<string, unknown>> };
    const id = Object.keys(kept.definitions).find((key) => key.startsWith(workflow))!;
    kept.definitions[id]!.StartAt = "No such state";
    writeFileSync(file, JSON.stringify(kept));

    // Act
    const refused = await shippedStateMachines(file)
      .definition(workflow)
      .catch((error: unknown) => error as Error);

    // Assess
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/invalid/i);
  });
});
