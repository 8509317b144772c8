import { Logger } from "@aws-lambda-powertools/logger";
import { redactingReplacer } from "./redact.js";

/**
 * The structured logger every handler uses: Powertools' JSON lines (level, message, service, the
 * Lambda's request id and cold start when given the context), with every string passed through the
 * e-mail redaction. In a Lambda it logs from INFO up; anywhere else (tests, the local runner, whose
 * output is the demo's) from WARN up, unless POWERTOOLS_LOG_LEVEL or AWS_LAMBDA_LOG_LEVEL says.
 */
export function serviceLogger(serviceName: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.POWERTOOLS_LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? (env.AWS_LAMBDA_FUNCTION_NAME ? "INFO" : "WARN");
  return new Logger({ serviceName, logLevel: level as "INFO", jsonReplacerFn: redactingReplacer });
}
