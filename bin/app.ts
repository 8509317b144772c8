import { App } from "aws-cdk-lib";
import { ClvStack } from "../lib/clv-stack.js";

const app = new App();
const apiKeyHashes = String(app.node.tryGetContext("apiKeyHashes") ?? "")
  .split(",")
  .filter(Boolean);
new ClvStack(app, "ClvReactivation", {
  apiKeyHashes,
  // An explicit environment so `cdk synth` works offline; set CDK_DEFAULT_ACCOUNT/REGION to deploy.
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? "123456789012",
    region: process.env.CDK_DEFAULT_REGION ?? "eu-west-1",
  },
});
app.synth();
