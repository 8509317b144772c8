import { InvalidInputError } from "../../functions/domain/input/row-errors.js";

/** What `clv` prints for an error that ends a command: the bad rows as they are, anything else after `error:`. */
export function commandErrorMessage(error: unknown): string {
  if (error instanceof InvalidInputError) return error.message;
  return error instanceof Error ? `error: ${error.message}` : String(error);
}
