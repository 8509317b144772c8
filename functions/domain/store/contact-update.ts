import type { ContactInput, ContactProfile } from "./contact.js";
import { applySubscriptionEvent, type SubscriberState } from "./subscription.js";

/** Where a profile came from: the API (PUT /contacts/{id}) or a contacts import (CSV, S3). */
export type ProfileSource = "api" | "import";

export interface ContactUpdateResult {
  profile: ContactProfile;
  /** Why the subscription is not what the update said, in words (empty when it is). */
  notes: string[];
  /** Whether anything stored differs; a profile the store already has as given is left alone. */
  changed: boolean;
}

/**
 * A profile update from the store's platform, the same for PUT /contacts/{id}, the contacts CSV and
 * the S3 import: the profile's fields are replaced as sent (PUT semantics: a field left out is
 * removed), and its subscription moves by the rules of applySubscriptionEvent, so nothing else in the
 * update is lost when its consent is not followed.
 *
 * `erasedAt`: when the update's address was erased from another contact (or this one, before); it
 * counts as an opt-out of that time, so only a consent newer than the erasure subscribes the address.
 */
export function applyContactUpdate(
  stored: ContactProfile | undefined,
  contactId: string,
  input: ContactInput,
  options: { source: ProfileSource; now: number; erasedAt?: string },
): ContactUpdateResult {
  let current: SubscriberState | undefined = stored;
  let changed = false;
  if (options.erasedAt !== undefined) {
    const erased = applySubscriptionEvent(current, { type: "opt-out", via: "erasure", at: options.erasedAt }, options.now);
    current = erased.state;
    changed = erased.changed;
  }
  const result = applySubscriptionEvent(
    current,
    {
      type: "update",
      via: options.source,
      subscription: input.subscription,
      ...(input.consentAt !== undefined && { consentAt: input.consentAt }),
      ...(input.optedOutAt !== undefined && { optedOutAt: input.optedOutAt }),
      ...(input.email !== undefined && { email: input.email }),
    },
    options.now,
  );
  changed ||= result.changed || stored === undefined || stored.firstName !== input.firstName || stored.country !== input.country;
  const { email, ...subscription } = result.state;
  const profile: ContactProfile = {
    contactId,
    ...(email !== undefined && { email }),
    ...(input.firstName !== undefined && { firstName: input.firstName }),
    ...(input.country !== undefined && { country: input.country }),
    ...subscription,
    updatedAt: changed || stored === undefined ? new Date(options.now).toISOString() : stored.updatedAt,
  };
  return { profile, notes: result.notes, changed };
}
