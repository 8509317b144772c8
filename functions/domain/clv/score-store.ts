import { defaultScoringOptions, scoreContacts, type ContactScores, type ScoringOptions } from "./contact-scores.js";
import { defaultModelRunOptions, runModels, type ModelRun, type ModelRunOptions } from "./model-run.js";
import { contactHistories, type ContactHistory, type Order } from "./order-history.js";

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
  return scoreHistories(contactHistories(orders, asOf), asOf, options);
}

/** scoreStore on the contacts' histories as of the date (an OrderFold's, when the orders were folded as read). */
export function scoreHistories(
  histories: ContactHistory[],
  asOf: number,
  options: { run?: ModelRunOptions; scoring?: ScoringOptions } = {},
): StoreScores {
  const run = runModels(histories, asOf, options.run ?? defaultModelRunOptions);
  return { run, scores: scoreContacts(histories, asOf, run, options.scoring ?? defaultScoringOptions) };
}
