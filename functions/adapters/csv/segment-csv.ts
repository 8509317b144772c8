import { csvText } from "./csv-text.js";
import { SCORE_COLUMNS, type ContactScores } from "../../domain/clv/contact-scores.js";
import { SegmentNotFoundError, type SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { Membership } from "../../domain/segments/segment-membership.js";
import type { ContactProfile } from "../../domain/store/contact.js";
import { DEFAULT_STORE_CURRENCY } from "../../domain/store/money.js";
import { mailPermission } from "../../domain/store/subscription.js";

/** Every figure, in the order the score and export CSVs give them (from the ContactScores schema). */
export { SCORE_COLUMNS };

/**
 * The export's header: who, their e-mail and its subscription (status, latest consent, latest opt-out),
 * since when a member, the store's currency, then every figure in it (churn risk a number 0–1).
 */
export const SEGMENT_CSV_COLUMNS = ["customer_id", "email", "subscription", "consentAt", "optedOutAt", "enteredSegmentAt", "currency", ...SCORE_COLUMNS] as const;

/** What the export reads of a profile: the address and what decides whether it may be mailed. */
export type ExportedProfile = Partial<Omit<ContactProfile, "contactId" | "subscriptionHistory">>;

/** What exporting a segment reads of the store: Query and BatchGetItem only (DynamoDbStore implements it). */
export interface SegmentExportStore {
  listSegmentDefinitions(): Promise<SegmentDefinition[]>;
  /** The segment's active members, a page at a time (never all of them at once). */
  activeSegmentMemberPages(segmentId: string): AsyncIterable<readonly Membership[]>;
  getContactsWithScores(contactIds: readonly string[]): Promise<ReadonlyMap<string, { contact?: { profile?: ExportedProfile }; scores?: ContactScores }>>;
}

/** A member as the export gives it; no scores before the contact's first scoring. */
export interface SegmentMember {
  contactId: string;
  enteredAt: string;
  email?: string;
  subscription?: ContactProfile["subscription"];
  consentAt?: string;
  optedOutAt?: string;
  /** mailPermission's answer now: what `--mailable` keeps. */
  mayMail: boolean;
  scores?: ContactScores;
}

export { SegmentNotFoundError };

/**
 * Members read per page: 1,000 members are 20 BatchGetItem requests (profile and scores, 100 keys
 * each) in flight at once, and a million-member export never holds every profile in memory.
 */
const MEMBER_PAGE = 1000;

/** The segment's members with e-mail and scores, a page at a time, in the order the segment lists them. */
export async function* segmentMemberPages(
  store: Pick<SegmentExportStore, "getContactsWithScores">,
  members: readonly Membership[] | AsyncIterable<readonly Membership[]>,
  pageSize = MEMBER_PAGE,
): AsyncIterable<SegmentMember[]> {
  for await (const page of pagesOf(members, pageSize)) {
    const details = await store.getContactsWithScores(page.map((m) => m.contactId));
    yield page.map(({ contactId, enteredAt }) => {
      const { contact, scores } = details.get(contactId) ?? {};
      const profile = contact?.profile;
      return {
        contactId,
        enteredAt,
        ...(profile?.email && { email: profile.email }),
        ...(profile?.subscription && { subscription: profile.subscription }),
        ...(profile?.consentAt && { consentAt: profile.consentAt }),
        ...(profile?.optedOutAt && { optedOutAt: profile.optedOutAt }),
        mayMail: mailPermission(profile).mayMail,
        ...(scores && { scores }),
      };
    });
  }
}

/** Members in pages of exactly `pageSize` (the last one shorter), whatever pages they come in. */
async function* pagesOf(members: readonly Membership[] | AsyncIterable<readonly Membership[]>, pageSize: number): AsyncIterable<Membership[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`a page holds at least one member, got ${pageSize}`);
  const sources: AsyncIterable<readonly Membership[]> | Iterable<readonly Membership[]> = Symbol.asyncIterator in members ? members : [members as readonly Membership[]];
  let page: Membership[] = [];
  for await (const source of sources) {
    for (const member of source) {
      page.push(member);
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
}

/** A segment's export: how many members it has, and its CSV text, to be read once (a file, an S3 object). */
export interface SegmentCsv {
  segmentId: string;
  /** Rows in the file; final once `chunks` has been read (the members are read page by page as it is written). */
  readonly members: number;
  /** Members left out by `mailable` (unsubscribed, suppressed, never subscribed, no address); final once `chunks` has been read. */
  readonly notMailable: number;
  /** The header, then one chunk of rows per page of members. */
  chunks: AsyncIterable<string>;
}

/**
 * The one export of a segment, for every sink: one row per member with e-mail and every figure, as
 * Klaviyo's export gives them. Numbers are written as JavaScript prints them (churn risk 0.8312, not
 * a percentage); a figure the contact does not have (no prediction, one order) is an empty cell. The
 * segment is checked to exist first (a typo gives an error, not an empty file); its members are then
 * read a page at a time as the text is read, so a million-member export holds one page. Every row
 * names the store's currency (`currency`, DEFAULT_STORE_CURRENCY when not given), so no amount is read
 * without it.
 */
export async function segmentCsv(store: SegmentExportStore, segmentId: string, options: { pageSize?: number; mailable?: boolean; currency?: string } = {}): Promise<SegmentCsv> {
  const currency = options.currency ?? DEFAULT_STORE_CURRENCY;
  const definitions = await store.listSegmentDefinitions();
  if (!definitions.some((d) => d.id === segmentId)) throw new SegmentNotFoundError(segmentId);
  let written = 0;
  let notMailable = 0;
  async function* chunks(): AsyncIterable<string> {
    yield csvText([SEGMENT_CSV_COLUMNS]);
    for await (const page of segmentMemberPages(store, store.activeSegmentMemberPages(segmentId), options.pageSize)) {
      // --mailable: only members the send would mail now (mailPermission), so a file taken into another tool mails no one who said no.
      const kept = options.mailable ? page.filter((m) => m.mayMail) : page;
      written += kept.length;
      notMailable += page.length - kept.length;
      const rows = kept.map((m) => [m.contactId, m.email ?? "", m.subscription ?? "", m.consentAt ?? "", m.optedOutAt ?? "", m.enteredAt, currency, ...SCORE_COLUMNS.map((c) => m.scores?.[c] ?? "")]);
      yield csvText(rows);
    }
  }
  return {
    segmentId,
    get members() {
      return written;
    },
    get notMailable() {
      return notMailable;
    },
    chunks: chunks(),
  };
}
