/**
 * n-point Gauss–Laguerre nodes and weights for ∫₀^∞ e^−u f(u) du (A&S 25.4.45): the roots of the
 * Laguerre polynomial Lₙ, found by Newton's method from the usual asymptotic guesses (Press et al.,
 * Numerical Recipes §4.5, gaulag with α = 0), with weights −1 / (n Lₙ′(x) Lₙ₋₁(x)).
 * Exact for polynomials of degree 2n − 1.
 */
export function gaussLaguerre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  let x = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) x = 3 / (1 + 2.4 * n);
    else if (i === 1) x += 15 / (1 + 2.5 * n);
    else x += ((1 + 2.55 * (i - 1)) / (1.9 * (i - 1))) * (x - nodes[i - 2]!);
    let derivative = 1;
    let previous = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // Lₙ(x) and Lₙ₋₁(x) by the three-term recurrence (A&S 22.7.12).
      let p1 = 1;
      let p2 = 0;
      for (let k = 0; k < n; k++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * k + 1 - x) * p2 - k * p3) / (k + 1);
      }
      previous = p2;
      derivative = (n * (p1 - p2)) / x;
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) <= 1e-15 * Math.max(1, x)) break;
    }
    nodes[i] = x;
    weights[i] = -1 / (derivative * n * previous);
  }
  return { nodes, weights };
}
