import { SingleBar } from "cli-progress";
import type { NightlyProgress } from "../local-nightly.js";

/** What a long command reports as it goes: so much done of so much. */
export interface Progress {
  /** `total` when it becomes known or changes (a night learns how many contacts there are as it reads them). */
  update(done: number, total?: number): void;
  /** Ends the bar (or writes the last line); later updates are ignored. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where it goes: stderr, so that what a command writes to stdout stays its output. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** The total when known at the start. */
  total?: number;
}

const count = (n: number) => n.toLocaleString("en");

/**
 * A progress bar with the counts and the time left when `stream` is a terminal (cli-progress); plain
 * lines otherwise (a pipe, a log file, CI), one at each tenth of the total and one at the end, so a log
 * shows that the command moves without filling with redraws. `label` says what is done ("scoring"),
 * `unit` what is counted ("contacts").
 */
export function progress(label: string, unit: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  let total = options.total;
  let done = 0;
  let stopped = false;
  if (stream.isTTY) {
    const bar = new SingleBar({ format: `${label} {bar} {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`, stream: stream as NodeJS.WriteStream, hideCursor: true, etaBuffer: 50 });
    bar.start(Math.max(1, total ?? 1), 0);
    return {
      update(value, newTotal) {
        if (stopped) return;
        done = value;
        if (newTotal !== undefined) total = newTotal;
        // An unknown total grows with what is done: the bar shows the count, and the ETA once the total is known.
        bar.setTotal(Math.max(1, total ?? done, done));
        bar.update(done);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.setTotal(Math.max(1, total ?? done, done));
        bar.update(done);
        bar.stop();
      },
    };
  }
  let printedTenth = 0;
  let printed = -1;
  const line = () => {
    printed = done;
    stream.write(`${label}: ${count(done)}${total !== undefined ? ` of ${count(total)}` : ""} ${unit}\n`);
  };
  return {
    update(value, newTotal) {
      if (stopped) return;
      done = value;
      if (newTotal !== undefined) total = newTotal;
      if (total === undefined || total <= 0) return;
      // A total that was an estimate (the contacts with orders, when every contact is scored) grows with the count.
      total = Math.max(total, done);
      const tenth = Math.floor((10 * Math.min(done, total)) / total);
      if (tenth > printedTenth && tenth < 10) {
        printedTenth = tenth;
        line();
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (printed !== done) line();
    },
  };
}

/**
 * `clv nightly`'s bars: the contacts read for the plan (and the models fitted on them), then the
 * contacts scored of those the plan counted (contacts without orders are scored too, so the count may
 * pass it).
 */
export function nightlyProgress(options: Pick<ProgressOptions, "stream"> = {}): NightlyProgress & { stop(): void } {
  const reading = progress("reading the table and fitting the models", "contacts read", options);
  let scoring: Progress | undefined;
  let read = 0;
  let scored = 0;
  return {
    read: (contacts) => reading.update((read += contacts)),
    planned: (contacts) => {
      reading.stop();
      scoring = progress("scoring", "contacts", { ...options, total: contacts });
    },
    scored: (contacts) => scoring?.update((scored += contacts)),
    stop: () => {
      reading.stop();
      scoring?.stop();
    },
  };
}
