import type { Server } from "node:http";
import { createRequire } from "node:module";
import { z } from "zod";

/** A mail as aws-ses-v2-local keeps it (GET /store), the fields this project reads. */
export const LocalMailMessage = z.object({
  messageId: z.string(),
  from: z.string(),
  replyTo: z.array(z.string()),
  destination: z.object({ to: z.array(z.string()), cc: z.array(z.string()), bcc: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  /** Simple.Headers as sent (List-Unsubscribe …); absent when the mail had none. */
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  /** Epoch seconds. */
  at: z.number(),
});
export type LocalMailMessage = z.output<typeof LocalMailMessage>;

const LocalMailStore = z.object({ emails: z.array(LocalMailMessage) });

export interface LocalMail {
  /** http://127.0.0.1:<port>: for sesClient(endpoint), and its web page shows the mail that was sent. */
  endpoint: string;
  /**
   * Every mail sent since this server started (or the last clear), oldest first. The mailbox is one
   * per process: mail sent through another server of the process after this one started is listed too.
   */
  listMail(): Promise<LocalMailMessage[]>;
  /** Forgets the mail sent so far. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local in this process on 127.0.0.1 (a free port unless `port` is given). It is
 * loaded with `require` at run time, which keeps it (and Express) out of Lambda bundles.
 *
 * Its mailbox is one per process, not per server, and outlives the server: a server lists only what
 * came after its start, so that a run (npm start, `clv workflows run`, a test file sharing a worker
 * with others) counts its own mail.
 */
export async function startLocalMail(options: { port?: number; host?: string } = {}): Promise<LocalMail> {
  const host = options.host ?? "127.0.0.1";
  const sesLocal = createRequire(import.meta.url)("aws-ses-v2-local") as { default: (config: { host: string; port: number }) => Promise<Server> };
  const server = await sesLocal.default({ host, port: options.port ?? 0 });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`aws-ses-v2-local listens on ${String(address)}, not on a TCP port`);
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  let stopping: Promise<void> | undefined;
  const mailbox = async () => {
    const response = await fetch(`${endpoint}/store`);
    if (!response.ok) throw new Error(`aws-ses-v2-local GET /store: HTTP ${response.status}`);
    const store = LocalMailStore.safeParse(await response.json());
    if (!store.success) throw new Error(`aws-ses-v2-local GET /store answered an unexpected shape: ${store.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return store.data.emails;
  };
  // What the process's mailbox held before this server: not this server's mail.
  let before = (await mailbox()).length;
  return {
    endpoint,
    listMail: async () => (await mailbox()).slice(before),
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: "POST" });
      if (!response.ok) throw new Error(`aws-ses-v2-local POST /clear-store: HTTP ${response.status}`);
      before = 0;
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep their sockets alive; without this the close would wait for them to time out.
        server.closeAllConnections();
      })),
  };
}
