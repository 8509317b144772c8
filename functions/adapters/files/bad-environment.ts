import type { z } from "zod";

/**
 * A deployed function that cannot work as configured: a missing or malformed environment variable, or a
 * bundle without the files it was built with. Thrown at cold start (or on the first request that needs
 * the setting), and told apart by its name, not its text, by `npm run check:aws`.
 */
export class BadEnvironmentError extends Error {
  constructor(what: string) {
    super(`bad environment: ${what}`);
    this.name = "BadEnvironmentError";
  }
}

/** The variables a handler reads, parsed with zod: each wrong one named with what is wrong. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv | Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new BadEnvironmentError(parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(environment)"}: ${i.message}`).join("; "));
  return parsed.data;
}
