import type { Command } from "commander";
import type { CouponCommandsIo } from "../../functions/local/cli/coupon-commands.js";
import { endpointOption, tableOption, type StoreOptions } from "./store-options.js";

const consoleIo: CouponCommandsIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  clock: Date.now,
};

const couponCommands = () => import("../../functions/local/cli/coupon-commands.js");

/** `clv coupons import | status | assign`; values are checked when the command runs, so `--help` loads no schema. */
export function registerCouponCommands(program: Command, io: CouponCommandsIo = consoleIo): Command {
  const coupons = program.command("coupons").description("coupon sets: single-use codes that reactivation workflows hand out, one per contact");

  coupons
    .command("import")
    .description("add the codes of a CSV file (a `code` column) to a coupon set, creating the set if need be; codes it has already are skipped")
    .argument("<set>", "the set's id")
    .argument("<file>", "the CSV file")
    .option("--expires <date>", "last day the codes are valid, YYYY-MM-DD (through that day, UTC); required for a new set")
    .option("--low-stock <n>", "flag the set as low from this many codes left (default 0: when empty)")
    .option("--name <text>", "what the set is called (default: its id)")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (setId: string, file: string, options: StoreOptions & { expires?: string; lowStock?: string; name?: string }) =>
      (await couponCommands()).importCouponsCommand(io, setId, file, options),
    );

  coupons
    .command("status")
    .description("codes left, assigned and expiry of one coupon set, or of all")
    .argument("[set]", "the set's id")
    .option("--json", "print JSON")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (setId: string | undefined, options: StoreOptions & { json?: boolean }) => (await couponCommands()).couponStatusCommand(io, setId, options));

  coupons
    .command("assign")
    .description("the contact's code from a coupon set (the same one every time), as a workflow would get it")
    .argument("<set>", "the set's id")
    .argument("<contact>", "the contact's id")
    .option("--json", "print the outcome as JSON")
    .addOption(endpointOption())
    .addOption(tableOption())
    .action(async (setId: string, contactId: string, options: StoreOptions & { json?: boolean }) => (await couponCommands()).assignCouponCommand(io, setId, contactId, options));

  return coupons;
}
