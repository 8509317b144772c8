import type { Enrolment } from "../../functions/domain/workflows/enrolment.js";
import type { PacingClock, StartQuota } from "../../functions/domain/workflows/start-pacing.js";
import type { EnrolmentStore, WorkflowStarter } from "../../functions/domain/workflows/workflow-steps.js";

/** Requests as DynamoDB and Step Functions would bill and throttle them, counted by kind. */
export interface RequestCounts {
  query: number;
  batchGet: number;
  put: number;
  start: number;
  throttled: number;
}

/** A clock that moves only when waited on: a night of starts without waiting a night. */
export function simulatedClock(start = 0): PacingClock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async (ms) => void (now += ms), advance: (ms) => void (now += ms) };
}

/** Enrolments and segment members in memory, each call counted as the request it stands for. */
export function memoryEnrolments(members: number, counts: RequestCounts) {
  const enrolments = new Map<string, Enrolment>();
  const key = (w: string, c: string) => `${w}|${c}`;
  const ids = Array.from({ length: members }, (_, i) => `m${String(i).padStart(8, "0")}`);
  const position = (id: string) => Number(id.slice(1));
  const store: EnrolmentStore & { activeSegmentMemberPage(segmentId: string, after: string | undefined, limit: number): Promise<{ contactIds: string[]; next?: string }> } = {
    async getEnrolment(w, c) {
      return enrolments.get(key(w, c));
    },
    async getEnrolments(w, contactIds) {
      if (contactIds.length > 100) throw new Error("BatchGetItem takes 100 keys");
      counts.batchGet++;
      return new Map(contactIds.flatMap((c) => (enrolments.has(key(w, c)) ? [[c, enrolments.get(key(w, c))!] as const] : [])));
    },
    async putEnrolment(e, replacing) {
      counts.put++;
      const before = enrolments.get(key(e.workflowId, e.contactId));
      if (replacing ? before?.enrolledAt !== replacing.enrolledAt : before) return false;
      enrolments.set(key(e.workflowId, e.contactId), e);
      return true;
    },
    async updateEnrolment(w, c, fields) {
      const before = enrolments.get(key(w, c));
      if (before) enrolments.set(key(w, c), { ...before, ...fields });
    },
    async *listEnrolments() {
      yield [...enrolments.values()];
    },
    async activeSegmentMemberPage(_segmentId, after, limit) {
      counts.query++;
      const from = after === undefined ? 0 : position(after) + 1;
      const contactIds = ids.slice(from, from + limit);
      return { contactIds, ...(from + limit < ids.length && { next: contactIds.at(-1)! }) };
    },
  };
  return { store, enrolments };
}

/** Step Functions' StartExecution as a token bucket on the clock: beyond it, ThrottlingException. */
export function throttlingStarter(quota: StartQuota, clock: PacingClock, counts: RequestCounts): WorkflowStarter & { names: Set<string> } {
  let tokens = quota.burst;
  let last = clock.now();
  const names = new Set<string>();
  return {
    names,
    async start(_workflow, name) {
      const now = clock.now();
      tokens = Math.min(quota.burst, tokens + ((now - last) / 1000) * quota.perSecond);
      last = now;
      counts.start++;
      if (tokens < 1) {
        counts.throttled++;
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      }
      tokens -= 1;
      if (names.has(name)) return "already-started";
      names.add(name);
      return "started";
    },
  };
}
