/** Text made safe for HTML content and attribute values: segment and workflow names come from users. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Numbers as the report prints them (en-GB, like the demo's command-line report). */
export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return n.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An amount in the store's currency when it is known, a plain number otherwise. */
export function formatMoney(n: number | null | undefined, currency?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return currency ? n.toLocaleString("en-GB", { style: "currency", currency, maximumFractionDigits: 0 }) : formatNumber(n);
}

export function formatPercent(share: number | null | undefined, digits = 0): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return "—";
  return `${formatNumber(share * 100, digits)} %`;
}

/** A model parameter or a likelihood: significant digits rather than fixed decimals. */
export function formatFigure(n: number | null | undefined, significant = 4): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.abs(n) >= 10 ** significant ? formatNumber(n, 1) : String(Number(n.toPrecision(significant)));
}
