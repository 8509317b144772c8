/**
 * lifetimes' fitters against `clv fit`, whole process against whole process, on the same summary file
 * (issue #16: `clv fit` ≥ 3× faster on every model, at CDNOW size and at 1,000,000 customers, with the
 * same log-likelihood). Run by `npm run bench -- cli` (and `-- lifetimes` alone) when lifetimes is found:
 * CLV_LIFETIMES_PYTHON names the interpreter (else python3, then /usr/bin/python3) and
 * CLV_LIFETIMES_PATH goes in front of PYTHONPATH (lifetimes' and autograd's sources, when they are not
 * installed); README's Benchmarks says how to set it up. lifetimes is never a dependency of this project.
 * CLV_LIFETIMES_SIZES=cdnow leaves out the 1,000,000-customer runs (minutes of lifetimes' time).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { cdnowFile, line, loadAverage, measure, measureClv, megabytes, millionSummariesFile, root, seconds, type Measured } from "./cli.js";

const MODELS = ["bg-nbd", "mbg-nbd", "pareto-nbd", "gamma-gamma"] as const;
type Model = (typeof MODELS)[number];

interface LifetimesRun {
  logLikelihood: number;
  customers: number;
  rows: number;
  importSeconds: number;
  readSeconds: number;
  fitSeconds: number;
  cpuSeconds: number;
  maxRssMb: number;
}

/** The interpreter that imports lifetimes and pandas, with its environment; or why none does. */
function findLifetimes(): { python: string; env: NodeJS.ProcessEnv } | { missing: string } {
  const extra = process.env.CLV_LIFETIMES_PATH;
  const env = { ...process.env, ...(extra && { PYTHONPATH: [extra, process.env.PYTHONPATH].filter(Boolean).join(":") }) };
  const candidates = process.env.CLV_LIFETIMES_PYTHON ? [process.env.CLV_LIFETIMES_PYTHON] : ["python3", "/usr/bin/python3"];
  const problems: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import lifetimes, pandas"], { encoding: "utf8", env });
    if (probe.status === 0) return { python, env };
    problems.push(`${python}: ${(probe.stderr || String(probe.error)).trim().split("\n").pop()}`);
  }
  return { missing: problems.join("; ") };
}

const clvLogLikelihood = (run: Measured) => (JSON.parse(run.stdout) as { logLikelihood: number }).logLikelihood;

export function benchLifetimes(): void {
  const found = findLifetimes();
  if ("missing" in found) {
    line("lifetimes", "not found", `(${found.missing}); to compare, see README's Benchmarks: CLV_LIFETIMES_PYTHON, CLV_LIFETIMES_PATH`);
    return;
  }
  const lifetimes = (file: string, model: Model, condense: boolean, runs: number): { measured: Measured; run: LifetimesRun } => {
    const measured = measure(found.python, [join(root, "test/bench/lifetimes-fit.py"), file, model, ...(condense ? ["--condense"] : [])], runs, { env: found.env });
    return { measured, run: JSON.parse(measured.stdout) as LifetimesRun };
  };
  const compare = (label: string, theirs: { measured: Measured; run: LifetimesRun }, ours: Measured) => {
    const ll = clvLogLikelihood(ours);
    const difference = Math.abs(ll - theirs.run.logLikelihood) / Math.abs(ll);
    line(`  lifetimes, ${label}`, `${seconds(theirs.measured.cpu)} CPU`, `${seconds(theirs.measured.wall)} wall, ${megabytes(theirs.run.maxRssMb)}; import ${theirs.run.importSeconds.toFixed(2)} s, read ${theirs.run.readSeconds.toFixed(2)} s, fit ${theirs.run.fitSeconds.toFixed(2)} s; LL ${theirs.run.logLikelihood.toFixed(4)} (relative difference ${difference.toExponential(1)})`);
    if (ours.cpu !== undefined && theirs.measured.cpu !== undefined) line(`  clv fit's speed-up over it`, `${(theirs.measured.cpu / ours.cpu).toFixed(1)}× CPU`, `${(theirs.measured.wall / ours.wall).toFixed(1)}× wall; target ≥ 3×`);
  };
  const describe = (ours: Measured) => `${seconds(ours.wall)} wall, ${megabytes(ours.maxRssMb)}; LL ${clvLogLikelihood(ours).toFixed(4)}`;

  console.log(`\nlifetimes (${found.python}${process.env.CLV_LIFETIMES_PATH ? `, PYTHONPATH ${process.env.CLV_LIFETIMES_PATH}` : ""}) against clv fit, whole processes, the same file; CPU = user + system (load average ${loadAverage()})`);
  const sizes = (process.env.CLV_LIFETIMES_SIZES ?? "cdnow,million").split(",");
  const cdnow = cdnowFile();
  for (const model of sizes.includes("cdnow") ? MODELS : []) {
    const runs = model === "pareto-nbd" ? 1 : 3;
    const ours = measureClv(["fit", "--summary", cdnow, "--model", model, "--json"], runs);
    line(`${model}, CDNOW (2,357): clv fit`, `${seconds(ours.cpu)} CPU`, describe(ours));
    compare("its fitter on the rows", lifetimes(cdnow, model, false, runs), ours);
  }

  // At 1,000,000 customers lifetimes runs both ways: on the rows as read, and condensed to distinct rows with weights (its own
  // remedy for size, faster); the speed-up is against the faster. Pareto/NBD on the rows took over 10 minutes (issue #16): condensed only.
  if (!sizes.includes("million")) return;
  const million = millionSummariesFile();
  for (const model of MODELS) {
    const ours = measureClv(["fit", "--summary", million, "--model", model, "--json"], 1);
    line(`${model}, 1,000,000 customers: clv fit`, `${seconds(ours.cpu)} CPU`, describe(ours));
    const ways = [...(model === "pareto-nbd" && !process.env.CLV_LIFETIMES_PARETO_ROWS ? [] : [false]), true].map((condense) => ({ condense, result: lifetimes(million, model, condense, 1) }));
    const fastest = ways.reduce((a, b) => ((b.result.measured.cpu ?? b.result.measured.wall) < (a.result.measured.cpu ?? a.result.measured.wall) ? b : a));
    for (const way of ways) {
      const label = way.condense ? `condensed to ${way.result.run.rows.toLocaleString("en")} weighted rows` : "its fitter on the rows";
      if (way === fastest) compare(label, way.result, ours);
      else line(`  lifetimes, ${label}`, `${seconds(way.result.measured.cpu)} CPU`, `${seconds(way.result.measured.wall)} wall, ${megabytes(way.result.run.maxRssMb)}; LL ${way.result.run.logLikelihood.toFixed(4)}`);
    }
  }
}
