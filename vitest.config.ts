import { defineConfig } from "vitest/config";

/**
 * Four projects, each runnable alone (`npm run test:unit`, `test:integration`, `test:cdk`,
 * `test:browser`); `npm test` runs them all. The heavy concurrency tests run everyday sizes here and
 * their full strength under `npm run test:stress` (test/support/stress.ts).
 */
export default defineConfig({
  test: {
    // aws-local-stepfunctions needs Promise.withResolvers, which Node.js 20 lacks; the SDK's warning
    // that it will want Node 22 in 2027 is known and would be printed by every test file.
    setupFiles: ["functions/local/promise-with-resolvers.ts", "bin/quiet-sdk-warning.ts"],
    globalSetup: ["test/support/temp-root.ts"],
    // Vitest's default is one worker fewer than the machine's cores: a single worker on the 2-core
    // machines CI runs on, with the other core idle while a test waits on dynalite, cdk synth or Chromium.
    maxWorkers: 2,
    // The unit, integration and cdk files share a worker's modules instead of loading the SDK, dynalite
    // and aws-cdk-lib afresh for each file (vitest's module import was 267 s of an idle run's 356 s).
    // So a test file that changes process-wide state (process.env, fake timers, spies, the metrics sink)
    // gives it back when it ends; the browser tests keep their own process per file.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"], isolate: false } },
      { extends: true, test: { name: "cdk", include: ["test/cdk/**/*.test.ts"], isolate: false } },
      { extends: true, test: { name: "browser", include: ["test/browser/**/*.test.ts"] } },
    ],
  },
});
