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

/** `--encoding`: what a file that is not UTF-8 is in (a spreadsheet's CSV on Windows is windows-1252). */
export function encodingOption(): Option {
  return new Option("--encoding <encoding>", "the file's encoding, when it is not UTF-8").choices(["utf-8", "windows-1252", "latin1"]).default("utf-8");
}

/** `--delimiter`: the cell separator, for files separated by ";" (as many European stores export) or tabs. */
export function delimiterOption(): Option {
  return new Option("--delimiter <char>", "the cell separator: one character such as ; or |, or tab").default(",").argParser((text: string) => {
    const delimiter = text === "\\t" || text === "tab" ? "\t" : text;
    if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) throw new InvalidArgumentError(`expected one character such as ";" (or tab), got "${text}"`);
    return delimiter;
  });
}
