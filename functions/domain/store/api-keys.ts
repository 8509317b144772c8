import { createHash, timingSafeEqual } from "node:crypto";

/**
 * API keys are stored as SHA-256 hashes (hex), never in the clear: a leaked configuration does not
 * leak a key. A key is long and random, so a plain hash (no salt, no stretching) is enough.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function isKnownApiKey(key: string | undefined, hashedKeys: readonly string[]): boolean {
  if (!key) return false;
  const candidate = Buffer.from(hashApiKey(key), "hex");
  let known = false;
  // Compare with every stored hash, in constant time, so timing tells nothing about which is close.
  for (const hashed of hashedKeys) {
    const stored = Buffer.from(hashed, "hex");
    if (stored.length === candidate.length && timingSafeEqual(stored, candidate)) known = true;
  }
  return known;
}
