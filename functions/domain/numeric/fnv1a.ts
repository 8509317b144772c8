/**
 * 32-bit FNV-1a of a string's UTF-16 code units: a fixed, platform-independent hash for spreading
 * contacts (the demo's made-up profiles, the nights a score is refreshed) the same way everywhere.
 * Not for anything that must resist a chosen input: SHA-256 serves there.
 */
export function fnv1a(text: string, from = 0, to = text.length): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * MurmurHash3's 32-bit finalizer (fmix32): every input bit moves every output bit, so the low bits a
 * hash table's slot is taken from vary even when FNV-1a's barely do (short ids, numbers' bit patterns).
 * A signed 32-bit integer, as an Int32Array keeps it.
 */
export function spreadBits(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
