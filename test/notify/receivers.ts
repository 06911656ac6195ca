/**
 * Local receivers for the notification tests, each on port 0 of 127.0.0.1: an HTTP receiver (the webhook's
 * endpoint), a fake Telegram Bot API and an SMTP server that speaks enough of RFC 5321 to accept a message.
 * Each records what it got and lets the test decide the answer; tests wait on `next()` (an event), never on time.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { readFileSync } from "node:fs";
import { type AddressInfo, type Socket, createServer as createNetServer } from "node:net";
import { TLSSocket, createServer as createTlsServer } from "node:tls";
import { fileURLToPath } from "node:url";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface HttpAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A queue of things that arrive, with a promise for the next one. */
class Arrivals<T> {
  readonly all: T[] = [];
  private waiters: ((item: T) => void)[] = [];
  private read = 0;

  push(item: T): void {
    this.all.push(item);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.read += 1;
      waiter(item);
    }
  }

  /** The next item not yet read by next(), waiting for it if needed. */
  next(): Promise<T> {
    if (this.read < this.all.length) return Promise.resolve(this.all[this.read++]!);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  next(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/**
 * An HTTP server answering each request with `answer(request, index)`; "hang" never answers (until closed).
 */
export async function startHttpReceiver(
  answer: (request: ReceivedRequest, index: number) => HttpAnswer | "hang" = () => ({ status: 200 }),
): Promise<HttpReceiver> {
  const arrivals = new Arrivals<ReceivedRequest>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: ReceivedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const reply = answer(request, arrivals.all.length);
      arrivals.push(request);
      if (reply === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json", ...(reply.headers ?? {}) });
      res.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: arrivals.all,
    next: () => arrivals.next(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (opened, then closed): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fake Telegram Bot API: `POST /bot<token>/sendMessage`; other answers when `answer` says so. */
export async function startFakeTelegram(token: string, answer: (index: number) => HttpAnswer | null = () => null): Promise<HttpReceiver> {
  return startHttpReceiver((request, index) => {
    const custom = answer(index);
    if (custom) return custom;
    if (request.method !== "POST" || request.url !== `/bot${token}/sendMessage`) {
      return { status: 404, body: JSON.stringify({ ok: false, error_code: 404, description: "Not Found" }) };
    }
    const body = JSON.parse(request.body) as { chat_id?: unknown; text?: unknown };
    if (typeof body.chat_id !== "string" || typeof body.text !== "string" || body.text.length === 0) {
      return { status: 400, body: JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: message text is empty" }) };
    }
    return { status: 200, body: JSON.stringify({ ok: true, result: { message_id: index + 1, chat: { id: Number(body.chat_id) }, text: body.text } }) };
  });
}

export interface SmtpMessage {
  ehlo: string;
  /** The session was encrypted (STARTTLS or implicit TLS) when the message was sent. */
  isEncrypted: boolean;
  auth: { user: string; pass: string } | null;
  from: string;
  to: string[];
  /** The DATA section, dot-unstuffed, CRLF line ends. */
  data: string;
}

export interface SmtpServer {
  host: string;
  port: number;
  messages: SmtpMessage[];
  next(): Promise<SmtpMessage>;
  /** Every command line received, in order (AUTH lines included: tests check what went over the wire). */
  transcript: string[];
  close(): Promise<void>;
}

export interface SmtpBehaviour {
  /** A reply to use instead of the normal one for a command (by verb: "MAIL", "RCPT", "DATA", "EHLO", "AUTH", "END" for the final dot). */
  reply?: (verb: string, sessionIndex: number) => string | null;
  /** Users allowed by AUTH PLAIN; when set, the server advertises AUTH PLAIN and requires it. */
  users?: Record<string, string>;
  /** "starttls": offers STARTTLS (and AUTH only after it); "implicit": TLS from the first byte (port 465 style). */
  tls?: { mode: "starttls" | "implicit"; key: string; cert: string };
}

/** The test certificate for localhost / 127.0.0.1 (see tls/README.md). */
export function testCertificate(): { key: string; cert: string } {
  const dir = fileURLToPath(new URL("./tls/", import.meta.url));
  return { key: readFileSync(`${dir}key.pem`, "utf8"), cert: readFileSync(`${dir}cert.pem`, "utf8") };
}

/** A minimal SMTP server: enough of RFC 5321 (and 3207, STARTTLS) for one message per connection. `host` defaults to 127.0.0.1. */
export async function startSmtpServer(behaviour: SmtpBehaviour = {}, host = "127.0.0.1"): Promise<SmtpServer> {
  const arrivals = new Arrivals<SmtpMessage>();
  const transcript: string[] = [];
  const sockets = new Set<Socket>();
  let sessions = 0;

  function serve(socket: Socket, session: number, isEncrypted: boolean, greet: boolean): void {
    // RFC 3207: after STARTTLS the session starts over (the client says EHLO again).
    const message: SmtpMessage = { ehlo: "", isEncrypted, auth: null, from: "", to: [], data: "" };
    let buffer = "";
    let inData = false;
    let dataLines: string[] = [];
    const send = (line: string) => socket.write(`${line}\r\n`);
    const custom = (verb: string) => behaviour.reply?.(verb, session) ?? null;
    const offersAuth = behaviour.users !== undefined && (behaviour.tls?.mode !== "starttls" || isEncrypted);
    if (greet) send("220 fake-smtp ESMTP ready");
    socket.setEncoding("utf8");
    const onData = (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            message.data = dataLines.join("\r\n");
            const override = custom("END");
            if (override) send(override);
            else {
              arrivals.push({ ...message, to: [...message.to] });
              send("250 2.0.0 queued");
            }
          } else dataLines.push(line.startsWith(".") ? line.slice(1) : line);
          continue;
        }
        transcript.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        const override = custom(verb);
        if (override) {
          send(override);
          continue;
        }
        if (verb === "EHLO") {
          message.ehlo = line.slice(5);
          const extensions = [
            "fake-smtp",
            ...(behaviour.tls?.mode === "starttls" && !isEncrypted ? ["STARTTLS"] : []),
            ...(offersAuth ? ["AUTH PLAIN"] : []),
            "8BITMIME",
          ];
          socket.write(extensions.map((extension, i) => `250${i === extensions.length - 1 ? " " : "-"}${extension}\r\n`).join(""));
        } else if (verb === "STARTTLS" && behaviour.tls?.mode === "starttls" && !isEncrypted) {
          send("220 2.0.0 Ready to start TLS");
          socket.off("data", onData);
          const secured = new TLSSocket(socket, { isServer: true, key: behaviour.tls.key, cert: behaviour.tls.cert });
          secured.on("error", () => socket.destroy());
          serve(secured, session, true, false);
          return;
        } else if (verb === "AUTH" && offersAuth) {
          const [, mechanism, token] = line.split(" ");
          const [, user, pass] = Buffer.from(token ?? "", "base64")
            .toString("utf8")
            .split("\0");
          if (mechanism === "PLAIN" && behaviour.users && user !== undefined && behaviour.users[user] === pass) {
            message.auth = { user, pass: pass! };
            send("235 2.7.0 Authentication successful");
          } else send("535 5.7.8 Authentication credentials invalid");
        } else if (verb === "MAIL") {
          if (behaviour.users && !message.auth) send("530 5.7.0 Authentication required");
          else {
            message.from = /<(.*)>/.exec(line)?.[1] ?? "";
            send("250 2.1.0 Ok");
          }
        } else if (verb === "RCPT") {
          message.to.push(/<(.*)>/.exec(line)?.[1] ?? "");
          send("250 2.1.5 Ok");
        } else if (verb === "DATA") {
          inData = true;
          dataLines = [];
          send("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "QUIT") {
          send("221 2.0.0 Bye");
          socket.end();
        } else send("502 5.5.2 Command not recognized");
      }
    };
    socket.on("data", onData);
  }

  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    serve(socket, sessions++, behaviour.tls?.mode === "implicit", true);
  };
  const tls = behaviour.tls;
  const server = tls?.mode === "implicit" ? createTlsServer({ key: tls.key, cert: tls.cert }, accept) : createNetServer(accept);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    messages: arrivals.all,
    next: () => arrivals.next(),
    transcript,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
