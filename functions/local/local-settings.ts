import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What every local run shares, so that they work together: the demo store's name, the API's port, and
 * the one secret that signs unsubscribe links. A mail the demo or `clv workflows run` sends carries a
 * link that `npm run serve`'s API verifies, because both read the secret from the same file.
 */

/** The local data folder: what must outlive one process. `.out/` is ignored by git. */
export const LOCAL_DATA_DIR = process.env.CLV_LOCAL_DIR ?? ".out/local";

/** The port `npm run serve` gives the HTTP API, and that local mail's links point to. */
export const LOCAL_API_PORT = 3000;

/** The demo store (Online Retail), as its mail and its unsubscribe pages name it. */
export const LOCAL_STORE = {
  name: "Online Retail",
  url: "https://online-retail.example/",
  from: "Online Retail <hello@online-retail.example>",
  couponUrl: "https://online-retail.example/discount/{code}",
  timeZone: "Europe/London",
} as const;

/**
 * The local unsubscribe secret: CLV_UNSUBSCRIBE_SECRET when set, else the one in the local data folder,
 * made (random, readable by this user only) on first use. Two processes starting at once agree: the
 * file is created exclusively, and the one that loses the race reads the winner's.
 */
export function localUnsubscribeSecret(dir = LOCAL_DATA_DIR): string {
  const fromEnvironment = process.env.CLV_UNSUBSCRIBE_SECRET;
  if (fromEnvironment) return fromEnvironment;
  const file = join(dir, "unsubscribe-secret");
  const read = () => {
    try {
      const secret = readFileSync(file, "utf8").trim();
      return secret.length >= 16 ? secret : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
  const existing = read();
  if (existing) return existing;
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(24).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const secret = read();
  if (!secret) throw new Error(`${file}: not an unsubscribe secret (at least 16 characters); delete it to have a new one made`);
  return secret;
}
