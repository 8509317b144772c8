import { Duration } from "aws-cdk-lib";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, type NodejsFunctionProps } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Context set by the local runner, which synthesizes the stack only for its state machine
 * definitions: bundling is skipped there, and a fixed asset hash spares hashing the whole project
 * once per function (seconds each). The definitions do not depend on it.
 */
export const LOCAL_SYNTH_CONTEXT = "clv:localSynth";

/**
 * Every Lambda of the system is one file of functions/handlers/, bundled by the local esbuild (no
 * Docker), on Node.js 22 and arm64, with logs kept a month.
 */
export function handlerFunction(scope: Construct, id: string, handlerFile: string, props: Omit<NodejsFunctionProps, "entry"> = {}): NodejsFunction {
  return new NodejsFunction(scope, id, {
    entry: `${root}functions/handlers/${handlerFile}`,
    projectRoot: root,
    depsLockFilePath: `${root}package-lock.json`,
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(10),
    tracing: Tracing.ACTIVE,
    // Its own log group with a retention, rather than logRetention's extra custom-resource Lambda.
    logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH }),
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      target: "node22",
      ...(scope.node.tryGetContext(LOCAL_SYNTH_CONTEXT) === true && { assetHash: `local-synth-${id}` }),
    },
    ...props,
  });
}
