import { readFileSync } from "node:fs";
import type { Order } from "../../functions/domain/clv/order-history.js";

/**
 * The demo store's orders (data/online-retail/orders.csv): the UCI "Online Retail" data set (Chen, Sain &
 * Guo 2012), as shipped in the CC0 R package onlineretail (cran/onlineretail, commit f67bacaf), one row
 * per invoice. Cancellations are in their own file and, as in `npm start`, count in no figure; rows with
 * a negative total are left out as the import leaves them out.
 */
export function onlineRetailOrders(): Order[] {
  const text = readFileSync(new URL("../../data/online-retail/orders.csv", import.meta.url), "utf8");
  const orders: Order[] = [];
  for (const line of text.trim().split(/\r?\n/).slice(1)) {
    const [orderId, contactId, createdAt, total] = line.split(",");
    const amount = Number(total);
    if (!(amount >= 0)) continue;
    orders.push({ orderId: orderId!, contactId: contactId!, createdAt: Date.parse(createdAt!), total: amount });
  }
  return orders;
}
