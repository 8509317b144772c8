// `node --import ./test/support/module-trace.mjs …`: writes every module the process loads, ES modules
// as they resolve and CommonJS ones at exit, one URL or path a line, to the file in CLV_MODULE_TRACE.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const trace = process.env.CLV_MODULE_TRACE;
if (trace) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from "node:fs";
      export async function resolve(specifier, context, next) {
        const resolved = await next(specifier, context);
        appendFileSync(${JSON.stringify(trace)}, resolved.url + "\\n");
        return resolved;
      }`)}`,
  );
  const cache = createRequire(import.meta.url).cache;
  process.on("exit", () => appendFileSync(trace, Object.keys(cache).map((path) => `${path}\n`).join("")));
}
