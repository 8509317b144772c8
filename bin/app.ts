import { App } from "aws-cdk-lib";
import { ClvStack } from "../lib/clv-stack.js";
import { deployParameters } from "../lib/deploy-parameters.js";

const app = new App();
new ClvStack(app, "ClvReactivation", {
  // storeName, senderIdentity, timeZone, nightlyHour, alarmEmail, …: README, "Deploy to AWS".
  ...deployParameters((name) => app.node.tryGetContext(name)),
  // An explicit environment so `cdk synth` works offline; `cdk deploy` sets CDK_DEFAULT_ACCOUNT/REGION from the profile.
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? "123456789012",
    region: process.env.CDK_DEFAULT_REGION ?? "eu-west-1",
  },
});
app.synth();
