import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { BulkImport } from "./bulk-import.js";
import { IngestionApi } from "./ingestion-api.js";
import { NightlyScoring } from "./nightly-scoring.js";
import { StoreTable } from "./store-table.js";

/** The whole system on the store's AWS account; each capability is one construct composed here. */
export interface ClvStackProps extends StackProps {
  /** SHA-256 hashes of the store's API keys (context `apiKeyHashes`, comma-separated). */
  apiKeyHashes?: readonly string[];
  /** IANA time zone of the store, for the nightly schedule (context `timeZone`). */
  timeZone?: string;
  /** Hour of the night the scoring starts, in that time zone (context `nightlyHour`). */
  nightlyHour?: number;
}

export class ClvStack extends Stack {
  readonly store: StoreTable;
  readonly ingestion: IngestionApi;
  readonly bulkImport: BulkImport;
  readonly nightly: NightlyScoring;

  constructor(scope: Construct, id: string, props: ClvStackProps = {}) {
    super(scope, id, props);
    this.store = new StoreTable(this, "Store");
    this.ingestion = new IngestionApi(this, "Ingestion", { table: this.store.table, apiKeyHashes: props.apiKeyHashes ?? [] });
    this.bulkImport = new BulkImport(this, "BulkImport", { table: this.store.table });
    this.nightly = new NightlyScoring(this, "Nightly", {
      table: this.store.table,
      ...(props.timeZone !== undefined && { timeZone: props.timeZone }),
      ...(props.nightlyHour !== undefined && { hour: props.nightlyHour }),
    });
  }
}
