import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { StoreTable } from "./store-table.js";

/** The whole system on the store's AWS account; each capability is one construct composed here. */
export class ClvStack extends Stack {
  readonly store: StoreTable;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.store = new StoreTable(this, "Store");
  }
}
