import type { z } from "zod";

/** A problem with one input row, said so a person can fix it: `row 17: field "total": expected a number, got "12,50"`. */
export interface RowError {
  row: number;
  field: string;
  message: string;
}

export function formatRowError(e: RowError): string {
  return e.field ? `row ${e.row}: field "${e.field}": ${e.message}` : `row ${e.row}: ${e.message}`;
}

/** One RowError per zod issue, named by the field it is about. */
export function rowErrors(error: z.ZodError, row: number): RowError[] {
  return error.issues.map((issue) => ({ row, field: issue.path.map(String).join("."), message: issue.message }));
}

/** Thrown by a strict import at its first bad row; carries every error found so far. */
export class InvalidInputError extends Error {
  constructor(readonly errors: RowError[]) {
    super(errors.map(formatRowError).join("\n"));
    this.name = "InvalidInputError";
  }
}
