import { ContactInput } from "../../domain/store/contact.js";
import type { ContactRow } from "../../adapters/csv/import-csv.js";
import { fnv1a } from "../../domain/numeric/fnv1a.js";

/**
 * Made-up profiles for the demo store, whose order data (Online Retail) has customer ids and nothing
 * else about the customers. The same ids always give the same contacts: a name and a subscription
 * chosen by a hash of the id, so a demo run can be repeated and compared.
 */
const FIRST_NAMES = [
  "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Freya", "Emily", "Ella", "Chloe", "Poppy", "Evie", "Ruby",
  "Noah", "Oliver", "George", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Theo", "Charlie", "Henry", "Jacob", "Thomas", "Alfie", "Finley",
  "Marie", "Lucas", "Hannah", "Jonas", "Sofía", "Mateo", "Giulia", "Luca", "Inès", "Hugo",
] as const;

/** When the subscribed demo contacts gave consent: before the first order of the Online Retail data. */
export const DEMO_CONSENT_AT = "2010-11-01T00:00:00Z";
/** When the unsubscribed ones withdrew it. */
export const DEMO_UNSUBSCRIBED_AT = "2011-06-01T00:00:00Z";

/**
 * A contact for each distinct id, in the order given: `customer-<id>@example.com` (example.com is
 * reserved for examples, so no demo mail can reach anyone), a first name, and about 80 % subscribed
 * (consent given at DEMO_CONSENT_AT), 12 % never subscribed and 8 % unsubscribed.
 */
export function demoContacts(customerIds: Iterable<string>): ContactRow[] {
  return [...new Set(customerIds)].map((contactId) => {
    const hash = fnv1a(contactId);
    const bucket = hash % 100;
    const subscription = bucket < 80 ? "subscribed" : bucket < 92 ? "never_subscribed" : "unsubscribed";
    const contact = ContactInput.parse({
      email: `customer-${contactId.replace(/[^A-Za-z0-9._-]/g, "-")}@example.com`,
      firstName: FIRST_NAMES[(hash >>> 8) % FIRST_NAMES.length],
      subscription,
      ...(subscription === "subscribed" && { consentAt: DEMO_CONSENT_AT }),
      ...(subscription === "unsubscribed" && { consentAt: DEMO_UNSUBSCRIBED_AT }),
    });
    return { contactId, contact };
  });
}
