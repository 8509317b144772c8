import type { CustomerSummary } from "./customer-summary.js";
import type { ModelParams, PurchaseModel } from "./purchase-model.js";

/**
 * The median wait from the scoring day to a contact's next purchase, given its whole history: the
 * wait w with P(a purchase in (T, T + w] | x, tₓ, T) = ½.
 *
 * It is conditional on the history only — not on being alive. The distribution is the P(alive)-weighted
 * mixture of "alive: the wait of a live customer who has bought nothing since tₓ" and "gone: never
 * again", so a contact who is more likely gone than not has no finite median, and gets none (a date
 * for someone the model thinks has left would be a promise it does not make). Because it starts at T,
 * never at tₓ, the date it gives is never before the scoring day.
 */
export type MedianWait = (s: CustomerSummary) => number;

/** Waits beyond this many days count as "no next purchase": no store plans a century ahead. */
export const LONGEST_WAIT_DAYS = 36_500;

/** Relative precision of the bisection: far below a day for any wait up to LONGEST_WAIT_DAYS. */
const RELATIVE_PRECISION = 1e-6;

/**
 * The model's median wait (in its time unit) as a function of the summary; Infinity where there is
 * no finite median. Uses the model's closed form when it has one, else bisects
 * P(no purchase in (T, T + w] | history) = ½ — the likelihood ratio every model offers — on log w.
 * Identical summaries share one bisection.
 */
export function medianWaitOf<P extends ModelParams>(model: PurchaseModel<P>, params: P, unitDays: number): MedianWait {
  const longest = LONGEST_WAIT_DAYS / unitDays;
  // A closed form costs less than the cache's key would (a string per contact: a third of scoring's time).
  const closedForm = model.medianWait;
  if (closedForm) {
    return (s) => {
      const wait = closedForm(params, s);
      return wait <= longest ? wait : Infinity;
    };
  }
  const cache = new Map<string, number>();
  return (s) => {
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let wait = cache.get(key);
    if (wait === undefined) {
      wait = bisectMedian((w) => model.probabilityNoPurchase(params, s, w), longest);
      if (!(wait <= longest)) wait = Infinity;
      cache.set(key, wait);
    }
    return wait;
  };
}

/** The w in (0, longest] where noPurchase(w) (decreasing in w) falls to ½; Infinity if it never does. */
export function bisectMedian(noPurchase: (w: number) => number, longest: number): number {
  if (noPurchase(longest) > 0.5) return Infinity;
  let low = Math.log(longest) - 60;
  let high = Math.log(longest);
  if (noPurchase(Math.exp(low)) <= 0.5) return Math.exp(low);
  while (high - low > RELATIVE_PRECISION) {
    const middle = (low + high) / 2;
    if (noPurchase(Math.exp(middle)) > 0.5) low = middle;
    else high = middle;
  }
  return Math.exp(high);
}

/**
 * The closed form for BG/NBD and MBG/NBD: a customer alive at T buys again for sure (dropout happens
 * only right after a purchase), and given alive with no purchase in (tₓ, T] the rate is
 * Gamma(r + x, α + T) (FHL 2005 §3), so the wait is Lomax(r + x, α + T) and
 *   P(purchase by T + w | history) = P(alive) · (1 − ((α + T)/(α + T + w))^(r + x)).
 * Setting it to ½: ((α + T)/(α + T + w))^(r + x) = 1 − 1/(2 P(alive)), finite only when P(alive) > ½.
 */
export function lomaxMixtureMedian(rate: { shape: number; scale: number }, probabilityAlive: number): number {
  if (!(probabilityAlive > 0.5)) return Infinity;
  const survival = 1 - 0.5 / probabilityAlive;
  return rate.scale * Math.expm1(-Math.log(survival) / rate.shape);
}
