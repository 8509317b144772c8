/**
 * 32-bit FNV-1a of a string's UTF-16 code units: a fixed, platform-independent hash for spreading
 * contacts (the demo's made-up profiles, the nights a score is refreshed) the same way everywhere.
 * Not for anything that must resist a chosen input: SHA-256 serves there.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
