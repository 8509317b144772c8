import { defaultScoringOptions, scoreContacts, type ContactScores, type ScoringOptions } from "./contact-scores.js";
import { defaultModelRunOptions, runModels, type ModelRun, type ModelRunOptions } from "./model-run.js";
import { contactHistories, type Order } from "./order-history.js";

export interface StoreScores {
  run: ModelRun;
  scores: ContactScores[];
}

/** From a store's orders to every contact's figures: the whole nightly computation, without I/O. */
export function scoreStore(
  orders: Iterable<Order>,
  asOf: number,
  options: { run?: ModelRunOptions; scoring?: ScoringOptions } = {},
): StoreScores {
  const histories = contactHistories(orders, asOf);
  const run = runModels(histories, asOf, options.run ?? defaultModelRunOptions);
  return { run, scores: scoreContacts(histories, asOf, run, options.scoring ?? defaultScoringOptions) };
}
