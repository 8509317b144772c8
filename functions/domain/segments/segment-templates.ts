import { parseSegmentDefinition, type SegmentDefinition } from "./segment-definition.js";

/** The segments a store starts with, from the platform articles the features come from (seeds/). */
export const segmentTemplates: readonly SegmentDefinition[] = [
  parseSegmentDefinition({
    id: "low-clv",
    name: "Low CLV",
    description: "Subscribed contacts with a CLV (12m) below 100 and fewer than one purchase forecast in 12 months (Connectif, Low CLV).",
    match: {
      all: [
        { field: "subscription", op: "is", value: "subscribed" },
        { field: "predictedClv12m", op: "lt", value: 100 },
        { field: "predictedOrders12m", op: "lt", value: 1 },
      ],
    },
  }),
  parseSegmentDefinition({
    id: "low-clv-relative",
    name: "Low CLV, for the store's scale",
    description:
      "Low CLV with the threshold relative to the store, as the article also means it: subscribed, CLV (12m) below a quarter of the store's average, fewer than one purchase forecast in 12 months. For stores whose order values make 100 meaningless (wholesalers).",
    match: {
      all: [
        { field: "subscription", op: "is", value: "subscribed" },
        { field: "predictedClv12m", op: "lt", value: { storeAverageOf: "predictedClv12m", times: 0.25 } },
        { field: "predictedOrders12m", op: "lt", value: 1 },
      ],
    },
  }),
  parseSegmentDefinition({
    id: "win-back",
    name: "Win-Back",
    description: "Frequent, high-spending contacts who have not bought lately: RFM frequency and monetary 3–5, recency 1 (Connectif, Win-Back).",
    match: {
      all: [
        { field: "rfmFrequency", op: "isOneOf", values: [3, 4, 5] },
        { field: "rfmMonetary", op: "isOneOf", values: [3, 4, 5] },
        { field: "rfmRecency", op: "is", value: 1 },
      ],
    },
  }),
  parseSegmentDefinition({
    id: "low-predicted-engaged",
    name: "Low predicted CLV, engaged",
    description: "Predicted CLV at most 5, subscribed, opened an e-mail in the last 90 days (Klaviyo's example).",
    match: {
      all: [
        { field: "predictedClv12m", op: "lte", value: 5 },
        { field: "subscription", op: "is", value: "subscribed" },
        { activity: "openedEmail", days: 90 },
      ],
    },
  }),
];
