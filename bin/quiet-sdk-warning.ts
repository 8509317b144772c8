/**
 * The AWS SDK warns on every run that versions from 2027 will want Node 22; the Lambdas run on 22
 * already and the warning would only bury what the command prints. Imported first, so it is in place
 * before the SDK loads and warns.
 */
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === "NodeVersionSupportWarning" || String(warning).includes("NodeVersionSupportWarning")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
