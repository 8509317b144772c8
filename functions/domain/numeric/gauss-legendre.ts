/**
 * n-point Gauss–Legendre nodes and weights on [−1, 1] (A&S 25.4.29): the roots of the Legendre polynomial
 * Pₙ, found by Newton's method from cos(π(i − ¼)/(n + ½)), with weights 2 / ((1 − x²) Pₙ′(x)²).
 * Exact for polynomials of degree 2n − 1.
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) and P_{n−1}(x) by the three-term recurrence (A&S 22.7.10).
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      derivative = (n * (x * p1 - p0)) / (x * x - 1);
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    nodes[i] = x;
    weights[i] = 2 / ((1 - x * x) * derivative * derivative);
  }
  return { nodes, weights };
}

/**
 * log ∫ₐᵇ exp(g(u)) du by Gauss–Legendre on panels split at `breaks` (where the integrand changes
 * fast), with the largest term factored out so a log-integrand far below a double's range stays exact.
 */
export function logIntegral(logIntegrand: (u: number) => number, a: number, b: number, breaks: readonly number[], rule: { nodes: Float64Array; weights: Float64Array }): number {
  if (!(b > a)) return -Infinity;
  const edges = [a, ...breaks.filter((x) => x > a && x < b).sort((x, y) => x - y), b];
  const logTerms: number[] = [];
  for (let p = 0; p + 1 < edges.length; p++) {
    const half = (edges[p + 1]! - edges[p]!) / 2;
    const middle = (edges[p + 1]! + edges[p]!) / 2;
    for (let i = 0; i < rule.nodes.length; i++) logTerms.push(Math.log(half * rule.weights[i]!) + logIntegrand(middle + half * rule.nodes[i]!));
  }
  const top = Math.max(...logTerms);
  if (top === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of logTerms) sum += Math.exp(v - top);
  return top + Math.log(sum);
}
