import { InvalidArgumentError, Option } from "commander";
import { DEFAULT_STORE_CURRENCY, isCurrency } from "../../functions/domain/store/money.js";

/** `--currency`: the store's currency, in which every figure is kept; an order in another needs its exchange rate. */
export function storeCurrencyOption(): Option {
  return new Option("--currency <code>", "the store's currency, ISO 4217 (orders in another need exchange_rate or total_in_store_currency)")
    .default(process.env.STORE_CURRENCY ?? DEFAULT_STORE_CURRENCY)
    .argParser((text: string) => {
      if (!isCurrency(text.toUpperCase())) throw new InvalidArgumentError(`expected an ISO 4217 currency code such as GBP, got "${text}"`);
      return text.toUpperCase();
    });
}
