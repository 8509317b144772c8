import { randomUUID } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { SendClaim, SendKey, SendLog } from "../../domain/email/ports.js";
import { sendKey as sendItemKey } from "../../domain/store/table-keys.js";
import { isConditionFailed, parseStored } from "./table.js";

/*
 * One item per send, in the contact's partition (docs/design.md, "Data model"; keys in table-keys.ts):
 *   PK CONTACT#<contactId>, SK SEND#<idempotencyKey>
 *   status "claimed" | "sent", attempt (who holds the claim), claimedAt (epoch ms), templateId,
 *   and once sent: messageId, sentAt (ISO).
 * Every write is a single conditional item write (no transactions: dynalite has none).
 *
 * Why not Powertools Idempotency (makeIdempotent over DynamoDBPersistenceLayer), which does the same
 * claim / complete / release: it would weaken what this log guarantees.
 *   - Its records expire (expiresAfterSeconds, an hour by default, by TTL): once a "sent" record is
 *     gone, a re-run step would mail the contact again. A send record here is kept for good.
 *   - An in-progress record goes stale by the Lambda's remaining time (from the Lambda context); the
 *     local runner has none, so a crashed local send would stay claimed until the record expires.
 *     Here the caller says when a claim is stale (claimedAt < staleBefore), on AWS and locally alike.
 *   - On any error it deletes the record; here only the attempt that holds the claim may release it,
 *     so a slow attempt that lost its stale claim cannot free a key another attempt now holds.
 *   - Its key is `<function>#<hash of the payload>` in an item shape of its own; a send belongs in the
 *     contact's partition under the domain's idempotency key, so reading or erasing a contact finds it.
 */
const sendKey = (key: SendKey) => sendItemKey(key.contactId, key.idempotencyKey);

const SendItem = z.discriminatedUnion("status", [
  z.object({ status: z.literal("claimed"), attempt: z.string(), claimedAt: z.number() }),
  z.object({ status: z.literal("sent"), messageId: z.string(), sentAt: z.string() }),
]);

/** The send log (domain/email/ports.ts) in the store's DynamoDB table. */
export class DynamoDbSendLog implements SendLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly newAttempt: () => string = randomUUID,
  ) {}

  async claim(key: SendKey, options: { now: number; staleBefore: number; templateId: string }): Promise<SendClaim> {
    // A record released between a failed put and the read frees the key again; claiming once more settles it.
    for (let tries = 0; tries < 3; tries++) {
      const attempt = this.newAttempt();
      try {
        // Two attempts racing for the same key: DynamoDB applies one put, the other fails its condition.
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...sendKey(key), idempotencyKey: key.idempotencyKey, status: "claimed", attempt, claimedAt: options.now, templateId: options.templateId },
            ConditionExpression: "attribute_not_exists(PK) OR (#status = :claimed AND claimedAt < :staleBefore)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":claimed": "claimed", ":staleBefore": options.staleBefore },
          }),
        );
        return { status: "claimed", attempt };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const found = await this.read(key);
      if (found?.status === "sent") return { status: "sent", messageId: found.messageId, sentAt: found.sentAt };
      // The SDK tried the put again after its answer was lost (a reset connection): the claim is this attempt's own.
      if (found?.status === "claimed" && found.attempt === attempt) return { status: "claimed", attempt };
      if (found) return { status: "in-progress", claimedAt: new Date(found.claimedAt).toISOString() };
    }
    throw new Error(`the send record ${key.idempotencyKey} of contact ${key.contactId} keeps appearing and vanishing; another sender is claiming and releasing it`);
  }

  async complete(key: SendKey, options: { attempt: string; messageId: string; now: number }): Promise<void> {
    try {
      // Any claim, not only this attempt's: the mail went, whoever took over a stale claim meanwhile.
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sendKey(key),
          UpdateExpression: "SET #status = :sent, messageId = :messageId, sentAt = :sentAt, completedBy = :attempt",
          ConditionExpression: "#status = :claimed",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":sent": "sent", ":claimed": "claimed", ":messageId": options.messageId, ":sentAt": new Date(options.now).toISOString(), ":attempt": options.attempt },
        }),
      );
    } catch (error) {
      // Already sent by another attempt: the first message id stays the record.
      if (!isConditionFailed(error)) throw error;
    }
  }

  async release(key: SendKey, options: { attempt: string }): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: sendKey(key),
          ConditionExpression: "#status = :claimed AND attempt = :attempt",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":claimed": "claimed", ":attempt": options.attempt },
        }),
      );
    } catch (error) {
      // Another attempt's claim now, or a sent record: neither is ours to remove.
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** The send record as stored, read consistently; undefined when there is none. */
  async read(key: SendKey): Promise<z.output<typeof SendItem> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: sendKey(key), ConsistentRead: true }));
    if (!Item) return undefined;
    return parseStored(SendItem, Item, `send record ${key.idempotencyKey} of contact ${key.contactId}`);
  }
}
