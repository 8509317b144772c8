/**
 * `npm run bench -- cli`: the command line as a user meets it, whole processes (issue #16). Targets:
 * `clv --help` ≤ 0.3 s CPU; `clv fit` on the CDNOW sample ≤ 0.5 s; `clv fit` ≥ 20× faster than a
 * plain scipy Nelder-Mead fit of 50,000 summaries (process against process); 1,000,000 summary or
 * order rows read, validated and folded in ≤ 2 s of CPU and ≤ 400 MB; and, where lifetimes is found
 * (lifetimes.ts), `clv fit` ≥ 3× faster than lifetimes' fitter on the same file with the same
 * log-likelihood, on every model, at CDNOW size and at 1,000,000 customers.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom, simulateBgNbd } from "../support/simulate.js";
import { benchLifetimes } from "./lifetimes.js";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const dir = mkdtempSync(join(tmpdir(), "clv-bench-cli-"));
export const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(52)} ${value.padStart(14)}  ${note}`);

/** CPU seconds of this process's reaped children, from /proc (Linux); undefined elsewhere. */
function childrenCpu(): number | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // Fields 16 and 17 of stat (cutime, cstime), in clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The CDNOW sample (test/fixtures/cdnow, origin in test/support/cdnow.ts) with the CLI's column names. */
export function cdnowFile(): string {
  const path = join(dir, "cdnow.csv");
  const rows = readFileSync(join(root, "test/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  writeFileSync(path, ["customer_id,frequency,recency,T,monetary_value", ...rows].join("\n"));
  return path;
}

export interface Measured {
  /** Median wall seconds. */
  wall: number;
  /** Median CPU seconds, user + system, of the whole process (Linux). */
  cpu?: number;
  /** The largest peak RSS of the runs, in MB, when the process reports it (usageFile). */
  maxRssMb?: number;
  stdout: string;
}

/**
 * Median wall and CPU seconds of `runs` runs of a command. With `usageFile`, the process writes its
 * peak RSS there at exit (node with process-usage.mjs preloaded, or lifetimes-fit.py in its output).
 */
export function measure(command: string, args: string[], runs: number, options: { env?: NodeJS.ProcessEnv; usageFile?: string } = {}): Measured {
  const walls: number[] = [];
  const cpus: number[] = [];
  let maxRssMb: number | undefined;
  let stdout = "";
  for (let i = 0; i < runs; i++) {
    const cpuBefore = childrenCpu();
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26, ...(options.env && { env: options.env }) });
    walls.push((performance.now() - start) / 1000);
    const cpuAfter = childrenCpu();
    if (cpuBefore !== undefined && cpuAfter !== undefined) cpus.push(cpuAfter - cpuBefore);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error}`);
    stdout = result.stdout;
    if (options.usageFile && existsSync(options.usageFile)) maxRssMb = Math.max(maxRssMb ?? 0, (JSON.parse(readFileSync(options.usageFile, "utf8")) as { maxRssMb: number }).maxRssMb);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { wall: median(walls), ...(cpus.length > 0 && { cpu: median(cpus) }), ...(maxRssMb !== undefined && { maxRssMb }), stdout };
}

/** `clv ARGS` as `npx clv` runs it, reporting its peak RSS too. */
export function measureClv(args: string[], runs: number): Measured {
  const usageFile = join(dir, `usage-${Math.random().toString(36).slice(2)}.json`);
  return measure(process.execPath, ["--import", "./test/bench/process-usage.mjs", "bin/clv.mjs", ...args], runs, { env: { ...process.env, CLV_PROCESS_USAGE: usageFile }, usageFile });
}

export const seconds = (s: number | undefined) => (s === undefined ? "—" : `${s.toFixed(3)} s`);
export const megabytes = (mb: number | undefined) => (mb === undefined ? "—" : `${Math.round(mb)} MB`);

/** The machine's load average (1, 5, 15 minutes), printed with figures taken on a shared machine. */
export function loadAverage(): string {
  return existsSync("/proc/loadavg") ? readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ") : "—";
}

/**
 * 1,000,000 simulated summaries with spend (BG/NBD and Gamma-Gamma at CDNOW's parameters, days, ages
 * up to two years) in `clv fit`'s columns; written once per bench run.
 */
export function millionSummariesFile(): string {
  const path = join(dir, "summaries-1m.csv");
  if (existsSync(path)) return path;
  const simulated = simulateBgNbd({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 1_000_000, {
    seed: 7,
    T: (random) => 1 + Math.floor(random() * 730),
    roundTo: 1,
    spend: { p: 6.25, q: 3.74, gamma: 15.44 },
  });
  const lines = ["customer_id,frequency,recency,T,monetary_value"];
  simulated.forEach(({ summary: s }, i) => lines.push(`c${i},${s.frequency},${s.recency},${s.T},${s.monetaryValue!.toFixed(2)}`));
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** 1,000,000 orders of 300,000 contacts over two years, not in time order (so each contact's are sorted), in the store's currency (EUR), which `clv score` checks on each row. */
function millionOrdersFile(): string {
  const path = join(dir, "orders-1m.csv");
  const random = seededRandom(3);
  const start = Date.UTC(2023, 0, 1);
  const lines = ["order_id,customer_id,created_at,total,currency"];
  for (let i = 0; i < 1_000_000; i++) {
    const contact = Math.floor(random() * 300_000);
    const day = new Date(start + Math.floor(random() * 730) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`o${i},c${contact},${day},${(5 + random() * 200).toFixed(2)},EUR`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** The 1M-row reads alone, each in a process of its own (fold-file.ts). */
function benchMillionRows(): void {
  console.log(`\n1,000,000 rows read, validated and folded (load average ${loadAverage()}); targets ≤ 2 s CPU, ≤ 400 MB`);
  const summaries = millionSummariesFile();
  const orders = millionOrdersFile();
  for (const [kind, file, what] of [
    ["summaries", summaries, "summaries → table"],
    ["orders", orders, "orders → histories"],
  ] as const) {
    const run = spawnSync(process.execPath, ["--import", "tsx", "test/bench/fold-file.ts", kind, file, "2025-01-01"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`fold-file.ts ${kind} failed: ${run.stderr}`);
    const read = JSON.parse(run.stdout) as { rows: number; folded: number; cpuSeconds: number; wallSeconds: number; rssBeforeMb: number; maxRssMb: number };
    line(`${what} (${read.folded.toLocaleString("en")} rows/contacts)`, `${seconds(read.cpuSeconds)} CPU`, `${seconds(read.wallSeconds)} wall; peak RSS ${megabytes(read.maxRssMb)} (${megabytes(read.rssBeforeMb)} before reading, tsx's)`);
  }
  for (const model of ["bg-nbd", "gamma-gamma"]) {
    const fit = measureClv(["fit", "--summary", summaries, "--model", model, "--json"], 1);
    line(`clv fit --model ${model}, 1M summaries, whole process`, `${seconds(fit.cpu)} CPU`, `${seconds(fit.wall)} wall; peak RSS ${megabytes(fit.maxRssMb)}`);
  }
}

export function benchCli(): void {
  console.log(`\nThe command line, whole processes (node bin/clv.mjs, as npx clv runs it), median of 5 (load average ${loadAverage()})`);
  const build = spawnSync(process.execPath, ["scripts/cli-build.mjs", "--if-stale"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stderr}`);
  const clv = (...args: string[]) => measure(process.execPath, ["bin/clv.mjs", ...args], 5);

  const help = clv("--help");
  line("clv --help", `${seconds(help.cpu)} CPU`, `${seconds(help.wall)} wall; target ≤ 0.3 s CPU`);
  // Node's own start, before any of clv's code: every whole-process figure below includes it. Node 20
  // loads NODE_EXTRA_CA_CERTS's certificates at start-up, so a machine that sets it (a proxy's CA) pays
  // for them in every process, which a user without it does not.
  const bare = measure(process.execPath, ["-e", "0"], 5);
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const withoutCerts = extraCerts === undefined ? undefined : measure(process.execPath, ["-e", "0"], 5, { env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_EXTRA_CA_CERTS")) });
  line("node -e 0 (node's own start-up)", `${seconds(bare.cpu)} CPU`, withoutCerts ? `${seconds(withoutCerts.cpu)} CPU without NODE_EXTRA_CA_CERTS (set here to ${extraCerts})` : "");

  const cdnow = cdnowFile();
  for (const model of ["bg-nbd", "pareto-nbd", "gamma-gamma"]) {
    const fit = clv("fit", "--summary", cdnow, "--model", model, "--json");
    line(`clv fit --model ${model}, CDNOW (2,357)`, `${seconds(fit.wall)} wall`, `${seconds(fit.cpu)} CPU${model === "bg-nbd" ? "; target ≤ 0.5 s" : ""}`);
  }

  // 50,000 simulated summaries (BG/NBD, CDNOW's parameters, weeks) for the scipy comparison.
  const fifty = join(dir, "summaries-50k.csv");
  const simulated = simulateBgNbd({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 50_000, { seed: 11, T: (random) => 27 + random() * 12, roundTo: 0.01 });
  writeFileSync(fifty, ["customer_id,frequency,recency,T", ...simulated.map(({ summary: s }, i) => `c${i},${s.frequency},${s.recency},${s.T}`)].join("\n"));
  const ours = clv("fit", "--summary", fifty, "--model", "bg-nbd", "--json");
  const ourLl = (JSON.parse(ours.stdout) as { logLikelihood: number }).logLikelihood;
  line("clv fit --model bg-nbd, 50,000 summaries", `${seconds(ours.wall)} wall`, `LL ${ourLl.toFixed(2)}`);
  const scipy = (() => {
    try {
      return measure("python3", [join(root, "test/bench/scipy-nelder-mead.py"), fifty, "1"], 3);
    } catch (error) {
      return error as Error;
    }
  })();
  if (scipy instanceof Error) line("scipy Nelder-Mead, 50,000 summaries", "skipped", `(python3 with numpy and scipy not available: ${scipy.message.trim().split("\n").pop()})`);
  else {
    const { ll } = JSON.parse(scipy.stdout) as { ll: number };
    line("python3 scipy Nelder-Mead, same file, whole process", `${seconds(scipy.wall)} wall`, `LL ${ll.toFixed(2)}`);
    line("clv fit's speed-up over it, process against process", `${(scipy.wall / ours.wall).toFixed(1)}× wall`, `${ours.cpu && scipy.cpu ? `${(scipy.cpu / ours.cpu).toFixed(1)}× CPU (${seconds(ours.cpu)} against ${seconds(scipy.cpu)})` : ""}; target ≥ 20×`);
  }

  benchMillionRows();
  benchLifetimes();
}
