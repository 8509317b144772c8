import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { nightlyProgress, progress } from "../../functions/local/cli/progress.js";

/** A stream that is not a terminal (a pipe, a log file), keeping what was written. */
function pipe(): Writable & { isTTY?: boolean; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
  return Object.assign(stream, { isTTY: false, text: () => chunks.join("") });
}

describe("progress when not on a terminal", () => {
  it("writes a plain line at each tenth of the total and one at the end", () => {
    // Prepare
    const stream = pipe();
    const bar = progress("scoring", "contacts", { stream, total: 1000 });

    // Act
    for (let done = 50; done <= 1000; done += 50) bar.update(done);
    bar.stop();

    // Assess
    const lines = stream.text().trim().split("\n");
    expect(lines[0]).toBe("scoring: 100 of 1,000 contacts");
    expect(lines).toHaveLength(10);
    expect(lines.at(-1)).toBe("scoring: 1,000 of 1,000 contacts");
  });

  it("with no total yet, says the count at the end; a total given later brings the tenths", () => {
    // Prepare
    const unknown = pipe();
    const later = pipe();
    const counting = progress("reading", "contacts read", { stream: unknown });
    const growing = progress("running executions", "executions", { stream: later });

    // Act
    for (let done = 1; done <= 30; done++) counting.update(done);
    counting.stop();
    counting.update(99);
    for (let done = 1; done <= 4; done++) growing.update(done, 4);
    growing.stop();

    // Assess
    expect(unknown.text()).toBe("reading: 30 contacts read\n");
    expect(later.text().trim().split("\n")).toEqual(["running executions: 1 of 4 executions", "running executions: 2 of 4 executions", "running executions: 3 of 4 executions", "running executions: 4 of 4 executions"]);
  });
});

describe("clv nightly's progress", () => {
  it("counts the contacts read, then those scored of what the plan counted", () => {
    // Prepare
    const stream = pipe();
    const night = nightlyProgress({ stream });

    // Act: two readings of 3 contacts (a first night), then 4 scored (one without orders).
    night.read!(2);
    night.read!(1);
    night.read!(3);
    night.planned!(3);
    night.scored!(4);
    night.stop();

    // Assess
    expect(stream.text().trim().split("\n")).toEqual(["reading the table and fitting the models: 6 contacts read", "scoring: 4 of 4 contacts"]);
  });
});
