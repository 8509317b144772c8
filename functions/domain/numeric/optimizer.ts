/**
 * Maximum likelihood over positive parameters: BFGS (Nocedal & Wright 2006, Algorithm 6.1) on
 * φ = log θ, so every step stays positive and the scale of each parameter stops mattering. The
 * line search backtracks until the Armijo condition holds; the inverse-Hessian update is skipped
 * when the curvature condition fails. Several starts guard against a poor local optimum; a start
 * that does not meet the gradient tolerance is not converged, and the caller decides what to do.
 * A parameter that runs off to 0 or ∞ is held at the bound |φ| = LOG_PARAMETER_BOUND and the others
 * are optimized on (an active set, Nocedal & Wright §16.5): the maximum on that edge is a result —
 * the model with that parameter at its limit — and `atBound` names it.
 */

/** Σ log-likelihood at θ; fills ∂/∂θ into `gradient` when it is non-null. */
export type LogLikelihoodFunction = (theta: Float64Array, gradient: Float64Array | null) => number;

export interface MaximizeOptions {
  starts: readonly (readonly number[])[];
  /** Whether `logLikelihood` fills the gradient; otherwise central differences in φ are used. */
  analyticGradient: boolean;
  /** Divides the objective so tolerances do not depend on the number of contacts. */
  scale?: number;
  maxIterations?: number;
  /** On the scaled objective's gradient in φ (its largest component). */
  gradientTolerance?: number;
  /**
   * The inverse Hessian (row-major, in φ, of the scaled objective) to start from instead of the
   * identity: an earlier run's on a close objective (the same likelihood on a thinned table) turns a
   * polish from its maximum into a few quasi-Newton steps instead of re-learning the curvature.
   */
  inverseHessian?: readonly number[];
}

export interface Maximum {
  theta: number[];
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
  /** Why the best start stopped: "gradient below tolerance", "no further progress", … */
  message: string;
  /** Indexes of the parameters held at 0 or ∞ (|log θ| = LOG_PARAMETER_BOUND) at the maximum. */
  atBound: number[];
  /** The best run's final inverse-Hessian approximation (MaximizeOptions.inverseHessian). */
  inverseHessian: number[];
  /** ∂ log-likelihood / ∂θ at the maximum (analytic, or by differences), for standardErrors. */
  gradient: number[];
  /** Every start's end, for diagnosing multimodal likelihoods. */
  runs: { start: number[]; theta: number[]; logLikelihood: number; converged: boolean; iterations: number; message: string; atBound: number[] }[];
}

/**
 * |φ| beyond this (a parameter below 1e-6 or above 1e6 in days or weeks) means it runs off
 * to 0 or ∞: the data do not identify it (Pareto/NBD's s and β do, together, on a short history).
 */
export const LOG_PARAMETER_BOUND = 14;

/** |φ| from which a parameter heading outward is tried at its bound (a parameter below 1e-3 or above 1e3, half way there in log). */
const BOUND_PROBE_FROM = LOG_PARAMETER_BOUND / 2;

export function maximizeLikelihood(logLikelihood: LogLikelihoodFunction, options: MaximizeOptions): Maximum {
  const scale = options.scale ?? 1;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.gradientTolerance ?? 1e-7;
  const n = options.starts[0]?.length ?? 0;
  let evaluations = 0;
  const theta = new Float64Array(n);
  const gTheta = new Float64Array(n);

  /** −scaled log-likelihood at φ, and its φ-gradient into g. */
  function objective(phi: Float64Array, g: Float64Array | null): number {
    evaluations++;
    for (let i = 0; i < n; i++) theta[i] = Math.exp(phi[i]!);
    if (!g) return -logLikelihood(theta, null) / scale;
    if (options.analyticGradient) {
      const value = -logLikelihood(theta, gTheta) / scale;
      for (let i = 0; i < n; i++) g[i] = (-gTheta[i]! * theta[i]!) / scale;
      return value;
    }
    const value = -logLikelihood(theta, null) / scale;
    g.set(centralDifferences((p) => objective(p, null), phi, (v) => 1e-5 * Math.max(1, Math.abs(v))));
    for (let i = 0; i < n; i++) theta[i] = Math.exp(phi[i]!);
    return value;
  }

  const runs: Maximum["runs"] = [];
  let best: (Maximum["runs"][number] & { inverseHessian: number[]; gradient: number[] }) | undefined;
  for (const start of options.starts) {
    const run = bfgs(objective, start.map(Math.log), maxIterations, tolerance, options.inverseHessian);
    const result = {
      start: [...start],
      theta: run.phi.map(Math.exp),
      logLikelihood: -run.value * scale,
      converged: run.converged,
      iterations: run.iterations,
      message: run.message,
      atBound: run.atBound,
    };
    runs.push(result);
    const better =
      !best ||
      (result.converged && !best.converged) ||
      (result.converged === best.converged && result.logLikelihood > best.logLikelihood);
    // The φ-gradient of −log-likelihood / scale back to ∂ log-likelihood / ∂θ.
    const gradient = run.gradient.map((v, i) => (-v * scale) / result.theta[i]!);
    if (Number.isFinite(result.logLikelihood) && better) best = { ...result, inverseHessian: run.inverseHessian, gradient };
  }
  if (!best) {
    return { theta: [], logLikelihood: Number.NaN, converged: false, iterations: 0, evaluations, message: "the likelihood is not finite at any start", atBound: [], inverseHessian: [], gradient: [], runs };
  }
  return {
    theta: best.theta,
    logLikelihood: best.logLikelihood,
    converged: best.converged,
    iterations: best.iterations,
    evaluations,
    message: best.message,
    atBound: best.atBound,
    inverseHessian: best.inverseHessian,
    gradient: best.gradient,
    runs,
  };
}

interface BfgsRun {
  phi: number[];
  value: number;
  converged: boolean;
  iterations: number;
  message: string;
  atBound: number[];
  inverseHessian: number[];
  /** The objective's φ-gradient at phi. */
  gradient: number[];
}

function bfgs(
  objective: (phi: Float64Array, g: Float64Array | null) => number,
  start: number[],
  maxIterations: number,
  tolerance: number,
  initialInverseHessian?: readonly number[],
): BfgsRun {
  const n = start.length;
  let phi = Float64Array.from(start);
  let g = new Float64Array(n);
  let value = objective(phi, g);
  /** Parameters held at their bound: no step moves them while the gradient pushes them outward. */
  const held = new Uint8Array(n);
  const heldList = () => [...held.keys()].filter((i) => held[i] === 1);
  // Inverse Hessian approximation, row-major: the identity, or the curvature an earlier run learned.
  const given = initialInverseHessian?.length === n * n && initialInverseHessian.every(Number.isFinite);
  let H = given ? Float64Array.from(initialInverseHessian) : identity(n);
  const end = (converged: boolean, iterations: number, message: string): BfgsRun => ({ phi: [...phi], value, converged, iterations, message, atBound: heldList(), inverseHessian: [...H], gradient: [...g] });
  if (!Number.isFinite(value) || g.some((v) => !Number.isFinite(v))) {
    return { ...end(false, 0, "the likelihood is not finite at the start"), value: Infinity };
  }
  /** Largest gradient component over the parameters free to move. */
  const freeGradient = () => {
    let v = 0;
    for (let i = 0; i < n; i++) if (!held[i]) v = Math.max(v, Math.abs(g[i]!));
    return v;
  };
  const direction = new Float64Array(n);
  const trial = new Float64Array(n);
  const trialGradient = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  let stalled = 0;
  /** |φ| from which each parameter is tried at its bound (boundStep); raised by a try that failed. */
  const probeFrom = new Float64Array(n).fill(BOUND_PROBE_FROM);
  /**
   * A parameter past probeFrom heading outward, on a likelihood that flattens toward its limit (a → 0,
   * no dropout), crawls there a factor of a few per iteration and ends in line searches lost in rounding
   * (hundreds of evaluations): try the step along the direction that takes it to its bound at once, and
   * keep it when it gains what its slope promises. The parameters that reach the bound are held; should
   * the maximum be inside after all, the gradient releases them (below) and the search goes on.
   */
  const boundStep = (d: Float64Array): boolean => {
    const heading: number[] = [];
    let toBound = Infinity;
    for (let i = 0; i < n; i++) {
      const side = Math.sign(phi[i]!);
      if (held[i] || Math.abs(phi[i]!) < probeFrom[i]! || side * d[i]! <= 0) continue;
      heading.push(i);
      toBound = Math.min(toBound, (side * LOG_PARAMETER_BOUND - phi[i]!) / d[i]!);
    }
    if (heading.length === 0) return false;
    // Only the parameters heading out move (together, so a limit of several keeps their ratio); the
    // others stay where they are, as the direction's small moves in them are not worth extrapolating.
    trial.set(phi);
    const reached: number[] = [];
    for (const i of heading) {
      trial[i] = phi[i]! + toBound * d[i]!;
      if (Math.abs(trial[i]!) >= LOG_PARAMETER_BOUND - 1e-9) {
        trial[i] = Math.sign(trial[i]!) * LOG_PARAMETER_BOUND;
        reached.push(i);
      }
    }
    // Armijo's condition on the step taken (Nocedal & Wright eq. 3.4): on a plateau far out, where
    // the likelihood no longer changes, the decrease falls short of the slope's and the step is refused.
    let slope = 0;
    for (const i of heading) slope += g[i]! * (trial[i]! - phi[i]!);
    const trialValue = objective(trial, trialGradient);
    if (!(slope < 0 && trialValue <= value + 1e-4 * slope) || !trialGradient.every(Number.isFinite)) {
      for (const i of heading) probeFrom[i] = Math.abs(phi[i]!) + 1;
      return false;
    }
    phi = Float64Array.from(trial);
    g = Float64Array.from(trialGradient);
    value = trialValue;
    for (const i of reached) held[i] = 1;
    return true;
  };
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (freeGradient() < tolerance) {
      // Release a held parameter whose gradient now points back inside (descent would move it off the bound).
      const released = heldList().filter((i) => Math.sign(phi[i]!) * g[i]! > tolerance);
      if (released.length === 0) return end(true, iteration - 1, held.some(Boolean) ? "gradient below tolerance with a parameter at its bound" : "gradient below tolerance");
      for (const i of released) held[i] = 0;
      H = identity(n);
    }
    for (let i = 0; i < n; i++) {
      let d = 0;
      if (!held[i]) for (let j = 0; j < n; j++) if (!held[j]) d -= H[i * n + j]! * g[j]!;
      direction[i] = d;
    }
    let slope = dot(direction, g);
    if (!(slope < 0)) {
      // Not a descent direction: the approximation went bad; restart from steepest descent.
      H = identity(n);
      for (let i = 0; i < n; i++) direction[i] = held[i] ? 0 : -g[i]!;
      slope = dot(direction, g);
    }
    if (boundStep(direction)) {
      stalled = 0;
      continue;
    }
    // Keep a step from jumping more than a factor e^5 in any parameter.
    let step = Math.min(1, 5 / Math.max(maxAbs(direction), 1e-300));
    let trialValue = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) trial[i] = phi[i]! + step * direction[i]!;
      trialValue = objective(trial, trialGradient);
      if (Number.isFinite(trialValue) && trialValue <= value + 1e-4 * step * slope && trialGradient.every(Number.isFinite)) {
        accepted = true;
        break;
      }
      step *= Number.isFinite(trialValue) ? 0.5 : 0.1;
    }
    if (!accepted) return end(freeGradient() < tolerance * 100, iteration, "the line search found no better point");
    for (let i = 0; i < n; i++) {
      s[i] = trial[i]! - phi[i]!;
      y[i] = held[i] ? 0 : trialGradient[i]! - g[i]!;
    }
    const improvement = value - trialValue;
    phi = Float64Array.from(trial);
    g = Float64Array.from(trialGradient);
    value = trialValue;
    if (phi.some((v) => Math.abs(v) > LOG_PARAMETER_BOUND)) {
      // Hold each parameter that ran past the bound there, and go on with the others from a fresh
      // curvature estimate (the old one mixed in the directions now frozen).
      for (let i = 0; i < n; i++) {
        if (Math.abs(phi[i]!) > LOG_PARAMETER_BOUND) {
          phi[i] = Math.sign(phi[i]!) * LOG_PARAMETER_BOUND;
          held[i] = 1;
        }
      }
      value = objective(phi, g);
      if (!Number.isFinite(value) || !g.every(Number.isFinite)) return { ...end(false, iteration, "the likelihood is not finite at the bound"), value: Infinity };
      H = identity(n);
      stalled = 0;
      continue;
    }
    stalled = improvement < 1e-15 * Math.max(1, Math.abs(value)) ? stalled + 1 : 0;
    if (stalled >= 5) return end(freeGradient() < tolerance * 100, iteration, "no further progress");
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      // Before the first update, scale the identity to the curvature just seen (Nocedal & Wright eq. 6.20).
      if (iteration === 1 && !given) H = identity(n, sy / dot(y, y));
      updateInverseHessian(H, s, y, sy, n);
    }
  }
  return end(freeGradient() < tolerance, maxIterations, "iteration limit reached");
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / yᵀs (Nocedal & Wright eq. 6.17). */
function updateInverseHessian(H: Float64Array, s: Float64Array, y: Float64Array, sy: number, n: number): void {
  const rho = 1 / sy;
  const Hy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += H[i * n + j]! * y[j]!;
    Hy[i] = v;
  }
  const yHy = dot(y, Hy);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      H[i * n + j] = H[i * n + j]! - rho * (Hy[i]! * s[j]! + s[i]! * Hy[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!;
    }
  }
}

/**
 * Observed information −∂²ℓ/∂θ² by differences of the gradient (or of the function when there is no
 * analytic gradient), inverted: the asymptotic covariance of the maximum-likelihood estimate. Given the
 * analytic gradient at θ (Maximum.gradient), forward differences with a step of 1e-6·θ: half the passes
 * over the table of central ones, and within 5e-5 of them, relative (on the CDNOW sample's fits), far
 * inside what a standard error says; else central differences.
 */
export function standardErrors(logLikelihood: LogLikelihoodFunction, theta: readonly number[], analyticGradient: boolean, gradientAtTheta?: readonly number[]): number[] {
  const n = theta.length;
  const hessian = new Float64Array(n * n);
  const point = Float64Array.from(theta);
  const gradientAt = (p: Float64Array): Float64Array => {
    const g = new Float64Array(n);
    if (analyticGradient) {
      logLikelihood(p, g);
      return g;
    }
    return centralDifferences((q) => logLikelihood(q, null), p, (v) => 1e-4 * v);
  };
  const forward = analyticGradient && gradientAtTheta?.length === n && gradientAtTheta.every(Number.isFinite);
  for (let j = 0; j < n; j++) {
    if (forward) {
      const h = 1e-6 * theta[j]!;
      point[j] = theta[j]! + h;
      const up = gradientAt(point);
      point[j] = theta[j]!;
      for (let i = 0; i < n; i++) hessian[i * n + j] = -(up[i]! - gradientAtTheta[i]!) / h;
      continue;
    }
    const h = (analyticGradient ? 1e-5 : 1e-3) * theta[j]!;
    point[j] = theta[j]! + h;
    const up = gradientAt(point);
    point[j] = theta[j]! - h;
    const down = gradientAt(point);
    point[j] = theta[j]!;
    for (let i = 0; i < n; i++) hessian[i * n + j] = -(up[i]! - down[i]!) / (2 * h);
  }
  // Symmetrize what the differences left slightly asymmetric.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = (hessian[i * n + j]! + hessian[j * n + i]!) / 2;
      hessian[i * n + j] = m;
      hessian[j * n + i] = m;
    }
  }
  const covariance = invert(hessian, n);
  return Array.from({ length: n }, (_, i) => {
    const v = covariance ? covariance[i * n + i]! : Number.NaN;
    return v > 0 ? Math.sqrt(v) : Number.NaN;
  });
}

/** ∂f/∂xᵢ by central differences with step `stepOf(xᵢ)`. */
function centralDifferences(f: (x: Float64Array) => number, x: ArrayLike<number>, stepOf: (v: number) => number): Float64Array {
  const probe = Float64Array.from(x);
  const gradient = new Float64Array(probe.length);
  for (let i = 0; i < probe.length; i++) {
    const v = x[i]!;
    const h = stepOf(v);
    probe[i] = v + h;
    const up = f(probe);
    probe[i] = v - h;
    const down = f(probe);
    probe[i] = v;
    gradient[i] = (up - down) / (2 * h);
  }
  return gradient;
}

/** Gauss–Jordan inversion with partial pivoting; null when singular. */
function invert(m: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(m);
  const inv = identity(n);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[pivot * n + c]!)) pivot = r;
    if (Math.abs(a[pivot * n + c]!) < 1e-300) return null;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) {
        [a[c * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[c * n + k]!];
        [inv[c * n + k], inv[pivot * n + k]] = [inv[pivot * n + k]!, inv[c * n + k]!];
      }
    }
    const p = a[c * n + c]!;
    for (let k = 0; k < n; k++) {
      a[c * n + k] = a[c * n + k]! / p;
      inv[c * n + k] = inv[c * n + k]! / p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]!;
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        a[r * n + k] = a[r * n + k]! - f * a[c * n + k]!;
        inv[r * n + k] = inv[r * n + k]! - f * inv[c * n + k]!;
      }
    }
  }
  return inv;
}

function identity(n: number, scale = 1): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = scale;
  return m;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let v = 0;
  for (let i = 0; i < a.length; i++) v += a[i]! * b[i]!;
  return v;
}

function maxAbs(a: ArrayLike<number>): number {
  let v = 0;
  for (let i = 0; i < a.length; i++) v = Math.max(v, Math.abs(a[i]!));
  return v;
}
