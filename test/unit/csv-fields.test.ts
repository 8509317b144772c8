import { describe, expect, it } from "vitest";
import { CellProblem, numberValue, textValue } from "../../functions/domain/input/csv-fields.js";

/** Seeded, so a failure names the same cells every run. */
function cells(count: number, alphabet: string, maxLength: number): string[] {
  let seed = 5;
  const next = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
  return Array.from({ length: count }, () => Array.from({ length: next(maxLength + 1) }, () => alphabet[next(alphabet.length)]).join(""));
}

const shown = (value: unknown) => (value instanceof CellProblem ? `problem: ${value.message}` : Object.is(value, -0) ? "-0" : value);

describe("cell checks read plain cells without the general parsers, and give what those give", () => {
  it("numberValue is Number() on every finite number, digits, signs, points and spaces included", () => {
    // Prepare: 200,000 random cells over digits, '-', '.', 'e', '+' and spaces, and edge cases.
    const edges = ["0", "-0", "007", ".5", "5.", "-.5", "-", ".", "", " ", "1.2.3", "999999999999999", "9999999999999999", "0.000000000000001", "123456789012.345", "1e3", "+4", " 12.5 ", "12,5", "0x10", "Infinity", "9007199254740993"];
    const random = [...cells(100_000, "0123456789.-", 18), ...cells(100_000, "0123456789.-e+ ", 8)];
    // Act
    const differing = [...edges, ...random].filter((text) => {
      const expected = Number(text);
      const reference = Number.isFinite(expected) && (expected !== 0 || text.trim() !== "") ? expected : `problem: expected a number, got ${JSON.stringify(text)}`;
      return shown(numberValue(text)) !== shown(reference);
    });
    // Assess
    expect(differing).toEqual([]);
    expect(random.filter((text) => typeof numberValue(text) === "number").length).toBeGreaterThan(10_000);
  });

  it("textValue is trim() and a refusal of empty cells and control characters, on any text", () => {
    // Prepare
    const edges = ["a", " a", "a ", "\u00a0a", "a\u2028", "\ufeffa", "a\tb", "\u007f", "é", "", "   ", "a b"];
    const random = cells(100_000, "ab ~\u0001\t\u007f\u00a0é\u3000-", 6);
    // Act
    const differing = [...edges, ...random].filter((text) => {
      const trimmed = text.trim();
      const reference = trimmed === "" ? "problem: is empty" : /[\u0000-\u001f\u007f]/.test(trimmed) ? "problem: contains control characters" : trimmed;
      return shown(textValue(text)) !== reference;
    });
    // Assess
    expect(differing).toEqual([]);
  });
});
