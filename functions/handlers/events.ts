import type { z } from "zod";

/** An event that is not what the handler expects: the field and what was wrong, never a silent default. */
export class InvalidEventError extends Error {
  constructor(what: string, issues: readonly z.core.$ZodIssue[]) {
    super(`bad ${what}: ${issues.map((i) => `${i.path.length ? i.path.join(".") : "(event)"}: ${i.message}`).join("; ")}`);
    this.name = "InvalidEventError";
  }
}

export function parseEvent<S extends z.ZodType>(schema: S, event: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) throw new InvalidEventError(what, parsed.error.issues);
  return parsed.data;
}
