/**
 * One update of a univariate slice sampler (Neal 2003, "Slice sampling", Annals of Statistics 31(3)):
 * a level under the density at x0 (log y = log f(x0) − Exp(1)), an interval of width w placed at random
 * around x0 and stepped out until both ends are below the level (Fig. 3), then points drawn uniformly
 * in it, shrinking it toward x0 on each rejection (Fig. 5). Every update is accepted and leaves the
 * density invariant; `lower`/`upper` bound the support. Returns the new point; `logDensityAt` its log f.
 */
export function sliceSample(
  logDensity: (x: number) => number,
  x0: number,
  logDensityAtX0: number,
  w: number,
  random: () => number,
  lower = -Infinity,
  upper = Infinity,
  maxStepsOut = 50,
): { x: number; logDensity: number } {
  const level = logDensityAtX0 + Math.log(random());
  let left = x0 - w * random();
  let right = left + w;
  let steps = maxStepsOut;
  while (steps-- > 0 && left > lower && logDensity(left) > level) left -= w;
  steps = maxStepsOut;
  while (steps-- > 0 && right < upper && logDensity(right) > level) right += w;
  left = Math.max(left, lower);
  right = Math.min(right, upper);
  for (let tries = 0; tries < 200; tries++) {
    const x = left + (right - left) * random();
    const value = logDensity(x);
    if (value > level) return { x, logDensity: value };
    if (x < x0) left = x;
    else right = x;
  }
  // The interval shrank onto x0 without finding a point (a density of rounding noise): stay.
  return { x: x0, logDensity: logDensityAtX0 };
}
