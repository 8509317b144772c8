import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Every temporary file a test run writes (CSV fixtures, exports, mailboxes, cdk synth output, the
 * `clv` processes some tests spawn) goes under one directory that is removed when the run ends:
 * `os.tmpdir()` follows TMPDIR, and the workers and child processes inherit it from here.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "clv-test-run-"));
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
