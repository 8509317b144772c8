import "./promise-with-resolvers.js";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import { repoPath } from "./repo-path.js";

/** An Amazon States Language definition, as `cdk synth` emits it with its ARNs filled in. */
export type StateMachineDefinition = { StartAt: string; States: Record<string, StateDefinition> } & Record<string, unknown>;
type StateDefinition = { Type: string; Resource?: string; ItemProcessor?: StateMachineDefinition; Iterator?: StateMachineDefinition } & Record<string, unknown>;

/** The made-up account and region of the local stack's ARNs. */
export const LOCAL_ACCOUNT = "123456789012";
export const LOCAL_REGION = "eu-west-1";

/** The one definition among `definitions` (by logical id) whose logical id starts with `logicalIdPrefix`. */
export function definitionByPrefix(definitions: Record<string, StateMachineDefinition>, logicalIdPrefix: string): StateMachineDefinition {
  const found = Object.keys(definitions).filter((id) => id.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one state machine named ${logicalIdPrefix}…, found ${found.join(", ") || "none"}`);
  return definitions[found[0]!]!;
}

/**
 * The shipped stack's state machines (lib/clv-stack.ts with workflows/ as they are), kept in a file
 * with a digest of everything they are made from: synthesizing the stack (aws-cdk-lib loaded, the app
 * built) and checking a definition with asl-validator cost seconds of CPU each, and `npm start` or
 * `clv nightly` would pay them on every run for the same JSON. Any change to the sources, the
 * workflows, the e-mails or the lock file makes another digest, and the stack is synthesized again.
 */
const CACHE_SOURCES = ["lib", "functions", "workflows", "emails", "package-lock.json", "package.json"];

interface DefinitionCache {
  digest: string;
  definitions: Record<string, StateMachineDefinition>;
  /** Logical ids whose definition asl-validator has passed. */
  validated: string[];
}

/** SHA-256 of every source file's path and content. */
function sourceDigest(): string {
  const hash = createHash("sha256");
  for (const source of CACHE_SOURCES) {
    const path = repoPath(source);
    let files: string[];
    try {
      files = readdirSync(path, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
        .sort();
    } catch {
      files = [path]; // a file, not a folder
    }
    for (const file of files) hash.update(relative(repoPath(), file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** The shipped stack's state machines kept in `cacheFile` (see above); one per process is enough. */
export function shippedStateMachines(cacheFile: string) {
  let cache: Promise<DefinitionCache> | undefined;
  const load = async (): Promise<DefinitionCache> => {
    const digest = sourceDigest();
    try {
      const stored = JSON.parse(readFileSync(cacheFile, "utf8")) as DefinitionCache;
      if (stored.digest === digest) return stored;
    } catch {
      // none yet, or unreadable: synthesized below
    }
    const { stateMachineDefinitions } = await import("./stack-synth.js");
    const fresh: DefinitionCache = { digest, definitions: stateMachineDefinitions(), validated: [] };
    save(fresh);
    return fresh;
  };
  // Written whole under a temporary name and renamed: a process reading it meanwhile sees the old file or the new one.
  const save = (value: DefinitionCache) => {
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(value));
      renameSync(temporary, cacheFile);
    } catch {
      // A read-only checkout: the next run synthesizes again.
    }
  };
  return {
    /**
     * The state machine whose logical id starts with `logicalIdPrefix`, checked by asl-validator the
     * first time it is used after a change (as Step Functions checks a definition when it is deployed).
     */
    async definition(logicalIdPrefix: string): Promise<StateMachineDefinition> {
      const current = await (cache ??= load());
      const definition = definitionByPrefix(current.definitions, logicalIdPrefix);
      if (!machines.has(definition)) {
        const id = Object.keys(current.definitions).find((key) => current.definitions[key] === definition)!;
        if (!current.validated.includes(id)) {
          // asl-validator fills in defaults where it checks: a copy, so the kept JSON stays as synthesized.
          new StateMachine(structuredClone(definition) as never, { validationOptions: VALIDATION });
          current.validated.push(id);
          save(current);
        }
        machines.set(definition, new StateMachine(definition as never, { validationOptions: { noValidate: true } }));
      }
      return definition;
    },
  };
}

const shipped = shippedStateMachines(repoPath("cdk.out", "local-state-machines.json"));

/** The shipped stack's state machine whose logical id starts with `logicalIdPrefix`, kept in cdk.out/ between runs. */
export const shippedDefinition = (logicalIdPrefix: string) => shipped.definition(logicalIdPrefix);

/** Every Task state's name, nested Map processors included. */
export function taskStateNames(definition: StateMachineDefinition): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = state.ItemProcessor ?? state.Iterator;
    return [...(state.Type === "Task" ? [name] : []), ...(nested ? taskStateNames(nested) : []), ...((state.Branches as StateMachineDefinition[] | undefined) ?? []).flatMap(taskStateNames)];
  });
}

/** What asl-validator checks: the paths and the ARNs too. */
const VALIDATION = { checkPaths: true, checkArn: true };

/** Validating a definition costs more than running it: once per definition, however many executions. */
const machines = new WeakMap<StateMachineDefinition, StateMachine>();
function machineOf(definition: StateMachineDefinition): StateMachine {
  let machine = machines.get(definition);
  if (!machine) machines.set(definition, (machine = new StateMachine(definition as never, { validationOptions: VALIDATION })));
  return machine;
}

export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalRunOptions {
  /** The local handler of each Task state, by state name: every Task state must have one. */
  tasks: Record<string, LocalTaskHandler>;
  /** Wait states shortened locally, by state name, in milliseconds. */
  waits?: Record<string, number>;
  /** Retry pauses shortened locally, by state name, in milliseconds. */
  retryIntervals?: Record<string, number>;
  /** The execution's name, as $$.Execution.Name. */
  executionName?: string;
}

/**
 * Runs a synthesized definition under aws-local-stepfunctions, each Task through its local handler
 * (the same function the Lambda runs). A Task without a handler is an error before the run starts,
 * so a local run never reaches for AWS.
 */
export async function runLocally<T = unknown>(definition: StateMachineDefinition, input: unknown, options: LocalRunOptions): Promise<T> {
  const missing = taskStateNames(definition).filter((name) => !options.tasks[name]);
  if (missing.length > 0) throw new Error(`no local handler for the Task state(s) ${missing.join(", ")}`);
  const machine = machineOf(definition);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: options.tasks as never,
      ...(options.waits && { waitTimeOverrides: options.waits }),
      ...(options.retryIntervals && { retryIntervalOverrides: options.retryIntervals }),
    },
    context: {
      Execution: { Input: input, StartTime: new Date().toISOString(), Name: options.executionName ?? "local", Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:local:${options.executionName ?? "local"}` },
    } as never,
  });
  return (await execution.result) as T;
}
