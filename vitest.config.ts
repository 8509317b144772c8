import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // aws-local-stepfunctions needs Promise.withResolvers, which Node.js 20 lacks.
    setupFiles: ["functions/local/promise-with-resolvers.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
