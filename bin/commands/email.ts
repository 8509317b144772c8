import type { Command } from "commander";
import { endpointOption, tableOption, withStore, type StoreOptions } from "./store-options.js";

/** `clv email preview NAME --contact ID`: one contact's mail from emails/NAME/, written to files. */
export function registerEmailCommands(program: Command): Command {
  const email = program.command("email").description("the e-mails of emails/<name>/ (Liquid): preview one for a contact");
  email
    .command("preview")
    .argument("<name>", "the e-mail's folder name in emails/, e.g. reactivation-coupon")
    .requiredOption("--contact <id>", "the contact whose mail to render (first name, unsubscribe link)")
    .option("--coupon <code>", "the coupon code to show", "PREVIEW-CODE")
    .option("--workflow <id>", "the workflow the links are tagged with (utm_campaign)", "preview")
    .option("--out <dir>", "where to write NAME.html and NAME.txt", ".out/email-preview")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (name: string, options: StoreOptions & { contact: string; coupon: string; workflow: string; out: string }) => {
      const { previewEmail } = await import("../../functions/local/cli/email-preview.js");
      await withStore(options, async (local) => {
        const preview = await previewEmail(local, { name, contactId: options.contact, outDir: options.out, couponCode: options.coupon, workflowId: options.workflow });
        console.log(`Subject: ${preview.subject}`);
        console.log(`HTML: ${preview.htmlPath}`);
        console.log(`Text: ${preview.textPath}`);
      });
    });
  return email;
}
