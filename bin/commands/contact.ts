import type { Command } from "commander";
import { storeCurrencyOption } from "./store-data-options.js";
import { endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

const contactCommands = () => import("../../functions/local/cli/contact-commands.js");

/** `clv contact show|erase ID`: one contact, as GET and DELETE /contacts/{id} give it. */
export function registerContactCommands(program: Command): Command {
  const contact = program.command("contact").description("one contact: show everything held about it, or erase it (GDPR art. 17)");
  contact
    .command("show")
    .argument("<id>", "the contact's id")
    .description("the profile with its subscription and history, order summary, latest scores, segments and workflow enrolments, as JSON")
    .addOption(endpointOption())
    .addOption(tableOption())
    .addOption(storeCurrencyOption())
    .action((id: string, options: StoreOptions & { currency: string }) =>
      withStore(options, async ({ store }) => console.log(await (await contactCommands()).showContact(store, id, options.currency))),
    );
  contact
    .command("erase")
    .argument("<id>", "the contact's id")
    .description("erase the contact's data; orders keep their totals under an anonymous id, the address only its hash as a suppression")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action((id: string, options: StoreOptions) => withStore(options, async ({ store }) => console.log(await (await contactCommands()).eraseContact(store, id))));
  return contact;
}
