/**
 * `npm run check:aws [-- --cdk-out DIR]`: every Lambda of the synthesized stack started as AWS would
 * start it, before any deploy. Each bundled asset is loaded in a fresh Node process, with exactly the
 * environment variables its function gets in the template (a reference to another resource becomes
 * a fake value of the same kind), its handler module imported and invoked once with an empty event.
 * A bundle that cannot be imported (a CommonJS bundle reading an empty import.meta.url, a module left
 * out), has no handler, or refuses its own environment fails the check. AWS itself is out of reach:
 * every SDK call goes to a closed local port and fails at once, which counts as started.
 *
 * Without --cdk-out the app is synthesized first (`cdk synth`, every bundle by the local esbuild).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const STACK_TEMPLATE = "ClvReactivation.template.json";

export interface BundleCheck {
  /** The function's logical id in the template. */
  id: string;
  started: boolean;
  /** What the handler answered or threw to the empty event, or why it could not start. */
  detail: string;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }> };

/** A reference's stand-in: a table name, an ARN, a URL… whatever string the handler parses it as. */
function fakeValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v["Fn::Join"])) {
    const [separator, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(fakeValue).join(separator);
  }
  if (v.Ref === "AWS::Partition") return "aws";
  if (v.Ref === "AWS::Region") return "eu-west-1";
  if (v.Ref === "AWS::AccountId") return "123456789012";
  if (v.Ref === "AWS::URLSuffix") return "amazonaws.com";
  if (typeof v.Ref === "string") return `fake-${v.Ref}`;
  if (Array.isArray(v["Fn::GetAtt"])) {
    const [resource, attribute] = v["Fn::GetAtt"] as [string, string];
    return attribute === "Arn" ? `arn:aws:fake:eu-west-1:123456789012:${resource}` : `fake-${resource}-${attribute}`;
  }
  if (v["Fn::Select"] !== undefined || v["Fn::Split"] !== undefined) return "fake";
  return "fake";
}

/** The probe run in the function's own process: import, find the handler, invoke it once. */
const PROBE = `
const started = (detail) => { process.stdout.write(JSON.stringify({ started: true, detail })); process.exit(0); };
const failed = (detail) => { process.stdout.write(JSON.stringify({ started: false, detail })); process.exit(0); };
(async () => {
  const [file, name] = process.env.CHECK_AWS_HANDLER.split("#");
  let mod;
  try { mod = require(file); } catch (error) { return failed("import failed: " + (error && error.stack || error)); }
  const handler = mod[name];
  if (typeof handler !== "function") return failed("no function " + name + " exported (exports: " + Object.keys(mod).join(", ") + ")");
  try {
    const answer = await handler({}, { functionName: "check", awsRequestId: "check", getRemainingTimeInMillis: () => 10000 });
    started("answered " + JSON.stringify(answer)?.slice(0, 120));
  } catch (error) {
    const message = String(error && error.message || error);
    // The handlers parse their environment first and throw BadEnvironmentError (bad-environment.ts) for a
    // missing or bad variable or bundled file; a module missing at run time, or a CommonJS bundle reading
    // an empty import.meta, is Node's own error: each is a failure to start.
    const missingModule = error && (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_MODULE_NOT_FOUND");
    if ((error && error.name === "BadEnvironmentError") || missingModule || /import\\.meta/.test(message)) return failed("refused to start: " + message);
    started("threw " + (error && error.name) + ": " + message.slice(0, 160));
  }
})();
`;

/** Starts one function's bundle in a fresh process with its template environment; 30 s at most. */
function checkFunction(outDir: string, id: string, fn: Template["Resources"][string]): Promise<BundleCheck> {
  const assetDir = join(outDir, fn.Metadata!["aws:asset:path"]!);
  const [module, exportName] = String(fn.Properties.Handler ?? "index.handler").split(/\.(?=[^.]+$)/) as [string, string];
  const variables = Object.fromEntries(Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(([name, value]) => [name, fakeValue(value)]));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    // What the Lambda runtime sets, with credentials that sign but open nothing.
    AWS_REGION: "eu-west-1",
    AWS_DEFAULT_REGION: "eu-west-1",
    AWS_LAMBDA_FUNCTION_NAME: id,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.Properties.MemorySize ?? 128),
    AWS_ACCESS_KEY_ID: "AKIDCHECKAWS",
    AWS_SECRET_ACCESS_KEY: "check-aws",
    AWS_SESSION_TOKEN: "check-aws",
    LAMBDA_TASK_ROOT: assetDir,
    // Every SDK call to a closed port: refused at once, never a real AWS request.
    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    AWS_MAX_ATTEMPTS: "1",
    ...variables,
    CHECK_AWS_HANDLER: `${join(assetDir, module)}#${exportName}`,
  };
  // NODE_OPTIONS from the template (--enable-source-maps) applies to this process as it does on Lambda.
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["-e", PROBE], { cwd: assetDir, env, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk));
    child.on("close", (code, signal) => {
      try {
        const result = JSON.parse(out) as { started: boolean; detail: string };
        resolvePromise({ id, ...result });
      } catch {
        resolvePromise({ id, started: false, detail: `the process ended (${signal ?? `exit ${code}`}) without an answer: ${(err || out).trim().split("\n").slice(0, 5).join(" | ")}` });
      }
    });
  });
}

/** Every bundled function of the stack in `outDir` (a cdk.out), two at a time. */
export async function checkBundles(outDir: string, templateFile = STACK_TEMPLATE): Promise<BundleCheck[]> {
  const template = JSON.parse(readFileSync(join(outDir, templateFile), "utf8")) as Template;
  const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["aws:asset:path"] && r.Properties.Runtime?.startsWith("nodejs"));
  const results: BundleCheck[] = [];
  for (let i = 0; i < functions.length; i += 2) results.push(...(await Promise.all(functions.slice(i, i + 2).map(([id, fn]) => checkFunction(outDir, id, fn)))));
  return results;
}

/** `cdk synth` into a fresh folder, offline, as the synth test does. */
export function synthesize(): string {
  const out = mkdtempSync(join(tmpdir(), "check-aws-"));
  execFileSync("npx", ["cdk", "synth", "--no-notices", "-q", "--output", out], { env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" }, stdio: "pipe", timeout: 600_000 });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--cdk-out");
  const given = at >= 0 ? process.argv[at + 1] : undefined;
  if (given !== undefined && !existsSync(join(given, STACK_TEMPLATE))) {
    console.error(`--cdk-out ${given}: no ${STACK_TEMPLATE} there (run \`npx cdk synth\` first, or leave --cdk-out out)`);
    process.exit(2);
  }
  const started = Date.now();
  const outDir = given ?? (console.log("synthesizing the stack (cdk synth)…"), synthesize());
  const results = await checkBundles(outDir);
  for (const r of results) console.log(`${r.started ? "ok  " : "FAIL"} ${r.id.padEnd(48)} ${r.detail}`);
  const failures = results.filter((r) => !r.started);
  console.log(`${results.length - failures.length} of ${results.length} functions start (${((Date.now() - started) / 1000).toFixed(0)} s, bundles in ${outDir})`);
  process.exit(failures.length > 0 || results.length === 0 ? 1 : 0);
}
