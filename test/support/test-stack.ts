import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { ClvStack, type ClvStackProps } from "../../lib/clv-stack.js";
import { LOCAL_SYNTH_CONTEXT } from "../../lib/lambda-function.js";

/**
 * The stack's template for assertions, without bundling its Lambdas (a bundle each would cost the
 * test seconds; test/cdk/synth.test.ts runs the real `cdk synth`, bundles included, once).
 */
export function stackTemplate(id: string, props: ClvStackProps = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], [LOCAL_SYNTH_CONTEXT]: true } });
  return Template.fromStack(new ClvStack(app, id, { env: { account: "123456789012", region: "eu-west-1" }, ...props }));
}
