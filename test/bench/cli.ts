/**
 * `npm run bench -- cli`: the command line as a user meets it, whole processes (issue #16). Targets:
 * `clv --help` ≤ 0.3 s CPU; `clv fit` on the CDNOW sample ≤ 0.5 s; `clv fit` ≥ 20× faster than a
 * plain scipy Nelder-Mead fit of 50,000 summaries (process against process); and, where lifetimes is
 * installed, `clv fit` ≥ 3× faster than lifetimes' fitter on the same file with the same log-likelihood.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { simulateBgNbd } from "../support/simulate.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "clv-bench-cli-"));
const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(52)} ${value.padStart(14)}  ${note}`);

/** CPU seconds of this process's reaped children, from /proc (Linux); undefined elsewhere. */
function childrenCpu(): number | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // Fields 16 and 17 of stat (cutime, cstime), in clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Median wall and CPU seconds of `runs` runs of a command. */
function measure(command: string, args: string[], runs: number): { wall: number; cpu?: number; stdout: string } {
  const walls: number[] = [];
  const cpus: number[] = [];
  let stdout = "";
  for (let i = 0; i < runs; i++) {
    const cpuBefore = childrenCpu();
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
    walls.push((performance.now() - start) / 1000);
    const cpuAfter = childrenCpu();
    if (cpuBefore !== undefined && cpuAfter !== undefined) cpus.push(cpuAfter - cpuBefore);
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.error}`);
    stdout = result.stdout;
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { wall: median(walls), ...(cpus.length > 0 && { cpu: median(cpus) }), stdout };
}

const seconds = (s: number | undefined) => (s === undefined ? "—" : `${s.toFixed(3)} s`);

export function benchCli(): void {
  console.log("\nThe command line, whole processes (node bin/clv.mjs, as npx clv runs it), median of 5");
  const build = spawnSync(process.execPath, ["scripts/cli-build.mjs", "--if-stale"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stderr}`);
  const clv = (...args: string[]) => measure(process.execPath, ["bin/clv.mjs", ...args], 5);

  const help = clv("--help");
  line("clv --help", `${seconds(help.cpu)} CPU`, `${seconds(help.wall)} wall; target ≤ 0.3 s CPU`);

  // The CDNOW sample (test/fixtures/cdnow, origin in test/support/cdnow.ts) with the CLI's column names.
  const cdnow = join(dir, "cdnow.csv");
  const rows = readFileSync(join(root, "test/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"), "utf8").trim().split(/\r?\n/).slice(1);
  writeFileSync(cdnow, ["customer_id,frequency,recency,T,monetary_value", ...rows].join("\n"));
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
    line("clv fit's speed-up over it, process against process", `${(scipy.wall / ours.wall).toFixed(1)}×`, "target ≥ 20×");
  }

  const lifetimes = spawnSync("python3", ["-c", "import lifetimes"], { encoding: "utf8" });
  if (lifetimes.status !== 0) {
    line("lifetimes", "not found", `(python3 -c 'import lifetimes': ${(lifetimes.stderr || String(lifetimes.error)).trim().split("\n").pop()}; it needs numpy, scipy, pandas, autograd and dill)`);
    return;
  }
  const script = `import sys, time, pandas as pd\nfrom lifetimes import BetaGeoFitter\nd = pd.read_csv(sys.argv[1])\nf = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])\nprint(-f._negative_log_likelihood_ * len(d))`;
  for (const [label, file] of [["CDNOW", cdnow], ["50,000 summaries", fifty]] as const) {
    const theirs = measure("python3", ["-c", script, file], 3);
    const ourRun = clv("fit", "--summary", file, "--model", "bg-nbd", "--json");
    line(`lifetimes BetaGeoFitter, ${label}, whole process`, `${seconds(theirs.wall)} wall`, `LL ${Number(theirs.stdout.trim()).toFixed(2)} (ours ${(JSON.parse(ourRun.stdout) as { logLikelihood: number }).logLikelihood.toFixed(2)})`);
    line(`clv fit's speed-up over lifetimes, ${label}`, `${(theirs.wall / ourRun.wall).toFixed(1)}×`, "target ≥ 3×");
  }
}
