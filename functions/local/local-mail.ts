import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { SendEmailCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import { z } from "zod";
import { sesClient } from "../adapters/ses/ses-mailer.js";

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
  /**
   * An SES v2 client for this server, for the mailers of this process: a SendEmail with simple content
   * is handed to aws-ses-v2-local's own SendEmail handler in the mail thread, as JSON, the body the SDK
   * would send; its answer is the SDK's. The SDK's serialization and an HTTP connection per mail (a
   * fifth of the workflow step's time in `npm start`) are left out. Anything else, and a SendEmail the
   * server refuses (which it keeps no mail of), goes over HTTP through the SDK, for the SDK's own error.
   */
  sesClient(): SESv2Client;
  stop(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local in this process on 127.0.0.1 (a free port unless `port` is given), in the
 * process's mail thread (below). It is loaded with `require` at run time, which keeps it (and Express)
 * out of Lambda bundles.
 *
 * Its mailbox is one per process, not per server, and outlives the server: a server lists only what
 * came after its start, so that a run (npm start, `clv workflows run`, a test file sharing a worker
 * with others) counts its own mail.
 */
export async function startLocalMail(options: { port?: number; host?: string } = {}): Promise<LocalMail> {
  const host = options.host ?? "127.0.0.1";
  const thread = mailThread();
  const { server, port } = await thread.start(host, options.port ?? 0);
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
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
  const client = () => {
    const ses = sesClient(endpoint);
    const viaHttp = ses.send.bind(ses) as (...args: unknown[]) => Promise<unknown>;
    ses.send = (async (command: unknown, ...rest: unknown[]) => {
      const input = command instanceof SendEmailCommand ? command.input : undefined;
      if (!input || rest.some((arg) => arg !== undefined) || input.Content?.Simple === undefined || input.Content.Raw !== undefined) return viaHttp(command, ...rest);
      const answer = await thread.send(JSON.stringify(input));
      const messageId = (answer.body as { MessageId?: unknown } | undefined)?.MessageId;
      if (answer.status !== 200 || typeof messageId !== "string") return viaHttp(command);
      return { MessageId: messageId, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } };
    }) as SESv2Client["send"];
    return ses;
  };
  return {
    endpoint,
    sesClient: client,
    listMail: async () => (await mailbox()).slice(before),
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: "POST" });
      if (!response.ok) throw new Error(`aws-ses-v2-local POST /clear-store: HTTP ${response.status}`);
      before = 0;
    },
    stop: () => (stopping ??= thread.stop(server)),
  };
}

/**
 * The servers run in one worker thread per process, which holds aws-ses-v2-local's mailbox: Express
 * parsing and answering each SendEmail is then off the thread that runs the workflow's steps (a tenth
 * of its time in npm start's workflow step). The thread ends when its last server stops (until then
 * it keeps the process alive, as a server in this thread would).
 */
interface MailThread {
  start(host: string, port: number): Promise<{ server: number; port: number }>;
  stop(server: number): Promise<void>;
  /** A SendEmail request's JSON body to aws-ses-v2-local's handler; its status and answer. */
  send(body: string): Promise<{ status: number; body: unknown }>;
}

let running: MailThread | undefined;

function mailThread(): MailThread {
  if (running) return running;
  const worker = new Worker(MAIL_THREAD, { eval: true, workerData: { sesLocalPath: createRequire(import.meta.url).resolve("aws-ses-v2-local") } });
  const replies = new Map<number, { resolve(answer: MailThreadAnswer): void; reject(error: Error): void }>();
  let next = 0;
  let servers = 0;
  const failAll = (error: Error) => {
    for (const waiting of replies.values()) waiting.reject(error);
    replies.clear();
    if (running === current) running = undefined;
  };
  worker.on("message", (answer: MailThreadAnswer) => {
    const waiting = replies.get(answer.reply);
    replies.delete(answer.reply);
    if (!waiting) return;
    if (answer.error === undefined) waiting.resolve(answer);
    // A port in use keeps its code (EADDRINUSE), which `clv serve` names the option for.
    else waiting.reject(Object.assign(new Error(answer.error.message), answer.error.code !== undefined && { code: answer.error.code }));
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the local SES thread stopped (exit code ${code})`)));
  const ask = (message: Record<string, unknown>) =>
    new Promise<MailThreadAnswer>((resolve, reject) => {
      const reply = next++;
      replies.set(reply, { resolve, reject });
      worker.postMessage({ ...message, reply });
    });
  const current: MailThread = {
    async start(host, port) {
      servers++;
      try {
        const answer = await ask({ op: "start", host, port });
        return { server: answer.server!, port: answer.port! };
      } catch (error) {
        await stopped();
        throw error;
      }
    },
    async send(body) {
      const answer = await ask({ op: "send", body });
      return { status: answer.status!, body: answer.body };
    },
    async stop(server) {
      try {
        await ask({ op: "stop", server });
      } finally {
        await stopped();
      }
    },
  };
  const stopped = async () => {
    if (--servers > 0) return;
    if (running === current) running = undefined;
    await worker.terminate();
  };
  running = current;
  return current;
}

interface MailThreadAnswer {
  reply: number;
  server?: number;
  port?: number;
  status?: number;
  body?: unknown;
  error?: { message: string; code?: string };
}

/** The mail thread's code (CommonJS, plain JavaScript: it runs without the TypeScript loader). */
const MAIL_THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const sesLocal = require(workerData.sesLocalPath);
const sendEmail = require(require("node:path").join(require("node:path").dirname(workerData.sesLocalPath), "v2", "sendEmail.js")).default;
const servers = new Map();
let next = 0;
const failed = (reply, error) => parentPort.postMessage({ reply, error: { message: String((error && error.message) || error), code: error && error.code } });
parentPort.on("message", async ({ op, reply, host, port, server, body }) => {
  try {
    if (op === "start") {
      const started = await sesLocal.default({ host, port });
      const address = started.address();
      // Express hands a failed listen to the callback aws-ses-v2-local resolves with: the port again, for its error (EADDRINUSE …).
      if (address === null) await new Promise((resolve, reject) => { const probe = require("node:net").createServer(); probe.once("error", reject); probe.listen(port, host, () => probe.close(() => reject(new Error("aws-ses-v2-local did not listen on " + host + ":" + port)))); });
      if (typeof address === "string") throw new Error("aws-ses-v2-local listens on " + address + ", not on a TCP port");
      const id = next++;
      servers.set(id, started);
      parentPort.postMessage({ reply, server: id, port: address.port });
    } else if (op === "send") {
      // The handler of POST /v2/email/outbound-emails, given what Express would: the parsed body; it answers with status().send().
      const response = { statusCode: 200, status(code) { this.statusCode = code; return this; }, send(answer) { parentPort.postMessage({ reply, status: this.statusCode, body: answer }); return this; } };
      sendEmail({ body: JSON.parse(body) }, response, (error) => failed(reply, error || new Error("aws-ses-v2-local's SendEmail did not answer")));
    } else if (op === "stop") {
      const stopping = servers.get(server);
      servers.delete(server);
      if (!stopping) return parentPort.postMessage({ reply });
      stopping.close((error) => (error ? failed(reply, error) : parentPort.postMessage({ reply })));
      // SDK clients keep their sockets alive; without this the close would wait for them to time out.
      stopping.closeAllConnections();
    }
  } catch (error) {
    failed(reply, error);
  }
});
`;
