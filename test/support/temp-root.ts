import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Every temporary file a test run writes (CSV fixtures, exports, mailboxes, cdk synth output, the
 * `clv` processes some tests spawn) goes under one directory that is removed when the run ends:
 * `os.tmpdir()` follows TMPDIR, and the workers and child processes inherit it from here.
 */
export default function setup(): () => void {
  // Vitest runs a global setup once for the run and once per project: only the first makes the
  // directory (nested ones made Chromium's socket path longer than a Unix socket may be).
  if (process.env.CLV_TEST_TMPDIR) return () => {};
  const root = mkdtempSync(join(tmpdir(), "clv-test-run-"));
  process.env.CLV_TEST_TMPDIR = root;
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    delete process.env.CLV_TEST_TMPDIR;
  };
}
