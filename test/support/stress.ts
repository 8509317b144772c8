import { inParallel } from "../../functions/adapters/dynamodb/table-batches.js";

/**
 * The heavy concurrency tests run everyday sizes in `npm test` and their full strength in
 * `npm run test:stress` (CLV_STRESS=1), which CI runs too: the same races, ten times the requests.
 */
export const STRESS = process.env.CLV_STRESS === "1";

/** `full` under `npm run test:stress`, `everyday` in `npm test`. */
export const stressSize = (full: number, everyday: number): number => (STRESS ? full : everyday);

/** Runs `work` over `items` with at most `workers` at a time (the store's inParallel), the results in the items' order. */
export async function concurrently<T, R>(items: readonly T[], workers: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  await inParallel(items.map((item, index) => ({ item, index })), workers, async ({ item, index }) => {
    results[index] = await work(item);
  });
  return results;
}
