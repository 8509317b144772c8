import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { BulkImport } from "./bulk-import.js";
import { IngestionApi } from "./ingestion-api.js";
import { StoreTable } from "./store-table.js";

/** The whole system on the store's AWS account; each capability is one construct composed here. */
export interface ClvStackProps extends StackProps {
  /** SHA-256 hashes of the store's API keys (context `apiKeyHashes`, comma-separated). */
  apiKeyHashes?: readonly string[];
}

export class ClvStack extends Stack {
  readonly store: StoreTable;
  readonly ingestion: IngestionApi;
  readonly bulkImport: BulkImport;

  constructor(scope: Construct, id: string, props: ClvStackProps = {}) {
    super(scope, id, props);
    this.store = new StoreTable(this, "Store");
    this.ingestion = new IngestionApi(this, "Ingestion", { table: this.store.table, apiKeyHashes: props.apiKeyHashes ?? [] });
    this.bulkImport = new BulkImport(this, "BulkImport", { table: this.store.table });
  }
}
