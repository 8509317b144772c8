import type { WorkflowExecutionInput, WorkflowStarter } from "./workflow-steps.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

/**
 * Step Functions' StartExecution quota for Standard workflows, a token bucket per account and region
 * (AWS, "Step Functions service quotas", API action throttling): 1,300 burst and 300 a second in
 * us-east-1, us-west-2 and eu-west-1; 800 and 150 a second in the other regions.
 */
export interface StartQuota {
  perSecond: number;
  burst: number;
}
export const START_EXECUTION_QUOTA = { largeRegions: { perSecond: 300, burst: 1_300 }, otherRegions: { perSecond: 150, burst: 800 } } as const satisfies Record<string, StartQuota>;
export const START_EXECUTION_LARGE_REGIONS: readonly string[] = ["us-east-1", "us-west-2", "eu-west-1"];

/** A clock that can be waited on: the real one on AWS, a simulated one in the benchmark. */
export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: PacingClock = { now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

export interface PacingOptions {
  quota: StartQuota;
  /** The share of the quota the night takes: the entered-segment enrolments and the console share the rest. */
  share?: number;
  clock?: PacingClock;
  /** Whether an error is Step Functions refusing for the rate (ThrottlingException). */
  isThrottled: (error: unknown) => boolean;
  /** Tries of one start when throttled, with exponential backoff. */
  attempts?: number;
}

/**
 * Starts executions at most at `share` of the quota's rate (a token bucket of one second's starts),
 * and backs off (200 ms doubling to 20 s, with jitter) when Step Functions throttles anyway, as when
 * another enrolment shares the quota.
 */
export class PacedStarter implements WorkflowStarter {
  private readonly rate: number;
  private readonly capacity: number;
  private readonly clock: PacingClock;
  private tokens: number;
  private last: number;
  /** Starts that were throttled and retried: for the metrics and the benchmark. */
  throttled = 0;

  constructor(
    private readonly inner: WorkflowStarter,
    private readonly options: PacingOptions,
  ) {
    this.rate = options.quota.perSecond * (options.share ?? 0.9);
    this.capacity = Math.max(1, Math.floor(this.rate));
    this.clock = options.clock ?? realClock;
    this.tokens = this.capacity;
    this.last = this.clock.now();
  }

  async start(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<"started" | "already-started"> {
    await this.take();
    const attempts = this.options.attempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.inner.start(workflow, name, input);
      } catch (error) {
        if (!this.options.isThrottled(error) || attempt >= attempts) throw error;
        this.throttled++;
        const backoff = Math.min(20_000, 200 * 2 ** (attempt - 1));
        await this.clock.sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      // Whole milliseconds: a fraction of one added to a large clock reading may add nothing.
      await this.clock.sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
    }
  }
}
