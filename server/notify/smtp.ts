/**
 * The email channel: a small SMTP client over node:net / node:tls (RFC 5321) — EHLO, STARTTLS or implicit TLS,
 * AUTH PLAIN, MAIL FROM, RCPT TO, DATA, QUIT — one connection per message (alerts are rare; a pool is not worth
 * its failure modes). The body is base64 text, so no line is too long and no 8-bit transport is needed.
 *
 * Refusals: a 4xx reply (try later) is retryable, a 5xx is not; a refused connection or a timeout is retryable.
 * The password never leaves AUTH PLAIN's base64 and is never in an error; AUTH is refused on an unencrypted
 * connection except to a loopback relay.
 */
import { type Socket, isIP, connect as netConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { type Clock } from "../core/clock";
import { DeliveryError, type Notification, type NotifyTimers, type Transport } from "./types";

export interface SmtpOptions {
  host: string;
  port: number;
  /** "none": plain (a local relay); "starttls": upgrade after EHLO, required; "tls": implicit TLS (port 465). */
  security: "none" | "starttls" | "tls";
  auth?: { user: string; pass: string } | null;
  from: string;
  to: readonly string[];
  /** The name we give in EHLO. */
  clientName?: string;
  /** The whole transaction, connect to QUIT. */
  timeoutMs?: number;
  /** Extra TLS trust (a private CA); certificates are always verified. */
  tlsCa?: string;
  clock: Clock;
  timers: NotifyTimers;
}

interface Reply {
  code: number;
  lines: string[];
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
/** An address without anything that could smuggle a command or a header (CR, LF, <, >). */
const SAFE_ADDRESS = /^[^\s<>@]+@[^\s<>@]+$/;

/** SNI for a host name; none for an IP address (RFC 6066 forbids it; the certificate is still checked against the IP). */
function serverName(host: string): { servername?: string } {
  return isIP(host) === 0 ? { servername: host } : {};
}

/** Reads SMTP replies (multi-line: "250-…" until "250 …") from a socket. */
class ReplyReader {
  private buffer = "";
  private lines: string[] = [];
  private replies: Reply[] = [];
  private waiter: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(readonly socket: Socket | TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  detach(): void {
    this.socket.off("data", this.onData);
    this.socket.off("error", this.onError);
    this.socket.off("close", this.onClose);
  }

  next(): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private readonly onData = (chunk: string) => {
    this.buffer += chunk;
    if (this.buffer.length > 64_000) return this.onError(new Error("the SMTP server sent an over-long reply"));
    let end: number;
    while ((end = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, "");
      this.buffer = this.buffer.slice(end + 1);
      this.lines.push(line);
      const match = /^(\d{3})([ -]|$)/.exec(line);
      if (match && match[2] !== "-") {
        const reply = { code: Number(match[1]), lines: this.lines.map((l) => l.slice(4)) };
        this.lines = [];
        if (this.waiter) {
          const waiter = this.waiter;
          this.waiter = null;
          waiter.resolve(reply);
        } else this.replies.push(reply);
      }
    }
  };

  private readonly onError = (error: Error) => {
    this.failure ??= error;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.reject(error);
    }
  };

  private readonly onClose = () => this.onError(new Error("the SMTP server closed the connection"));
}

/** "=?UTF-8?B?…?=" when the text is not plain printable ASCII (RFC 2047). */
function headerText(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, " ");
  return /^[\x20-\x7e]*$/.test(oneLine) ? oneLine : `=?UTF-8?B?${Buffer.from(oneLine, "utf8").toString("base64")}?=`;
}

/** The message as SMTP DATA lines (CRLF, dot-stuffed, without the final "."). */
export function formatEmail(notification: Notification, from: string, to: readonly string[], nowMs: number): string {
  const body = `${notification.title}\n\n${notification.detail}\n\nSeverity: ${notification.severity}\nKind: ${notification.kind}\nAt: ${new Date(notification.ts).toISOString()}\nId: ${notification.id}\n`;
  const encoded = (
    Buffer.from(body, "utf8")
      .toString("base64")
      .match(/.{1,76}/g) ?? []
  ).join("\r\n");
  const headers = [
    `From: ${from}`,
    `To: ${to.join(", ")}`,
    `Subject: ${headerText(`[Bastion ${notification.severity}] ${notification.title}`)}`,
    `Date: ${new Date(nowMs).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${notification.id.replace(/[^A-Za-z0-9._-]/g, "_")}@bastion.local>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
  ];
  return [...headers, "", encoded]
    .join("\r\n")
    .split("\r\n")
    .map((line) => (line.startsWith(".") ? `.${line}` : line))
    .join("\r\n");
}

export class SmtpTransport implements Transport {
  readonly type = "email";

  constructor(private readonly options: SmtpOptions) {
    for (const address of [options.from, ...options.to]) {
      if (!SAFE_ADDRESS.test(address)) throw new RangeError(`Not an email address: ${JSON.stringify(address.slice(0, 80))}.`);
    }
    if (options.to.length === 0) throw new RangeError("An email channel needs at least one recipient.");
  }

  send(notification: Notification): Promise<void> {
    const { timers } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let socket: Socket | TLSSocket | null = null;
    return new Promise<void>((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        socket?.destroy();
        reject(new DeliveryError(`The SMTP server ${this.where()} did not finish within ${timeoutMs} ms.`, true));
      }, timeoutMs);
      this.converse(notification, (opened) => (socket = opened)).then(
        () => {
          timers.clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          timers.clearTimeout(timer);
          socket?.destroy();
          reject(error instanceof DeliveryError ? error : this.connectionError(error));
        },
      );
    });
  }

  private where(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private connectionError(error: unknown): DeliveryError {
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === "string" ? code : error instanceof Error ? error.message : "unknown error";
    return new DeliveryError(`The SMTP server ${this.where()} could not be reached or dropped the connection (${reason}).`, true);
  }

  private open(): Promise<Socket | TLSSocket> {
    const { host, port, security, tlsCa } = this.options;
    return new Promise((resolve, reject) => {
      const socket =
        security === "tls"
          ? tlsConnect({ host, port, ...serverName(host), ...(tlsCa ? { ca: tlsCa } : {}) }, () => resolve(socket))
          : netConnect({ host, port }, () => resolve(socket));
      socket.once("error", reject);
    });
  }

  private async converse(notification: Notification, onSocket: (socket: Socket | TLSSocket) => void): Promise<void> {
    const { host, security, auth, from, to, tlsCa } = this.options;
    const clientName = this.options.clientName ?? "bastion.localhost";
    let socket = await this.open();
    onSocket(socket);
    let reader = new ReplyReader(socket);
    const command = async (line: string, expected: number[], stage: string): Promise<Reply> => {
      if (line) socket.write(`${line}\r\n`);
      const reply = await reader.next();
      if (!expected.includes(reply.code)) {
        throw new DeliveryError(`The SMTP server ${this.where()} refused ${stage}: ${reply.code} ${reply.lines.join(" ").slice(0, 200)}`, reply.code < 500);
      }
      return reply;
    };

    await command("", [220], "the connection");
    let hello = await command(`EHLO ${clientName}`, [250], "EHLO");
    let isEncrypted = security === "tls";
    if (security === "starttls") {
      if (!hello.lines.some((l) => /^STARTTLS\b/i.test(l))) throw new DeliveryError(`The SMTP server ${this.where()} does not offer STARTTLS.`, false);
      await command("STARTTLS", [220], "STARTTLS");
      reader.detach();
      const plain = socket;
      socket = await new Promise<TLSSocket>((resolve, reject) => {
        const secured = tlsConnect({ socket: plain, host, ...serverName(host), ...(tlsCa ? { ca: tlsCa } : {}) }, () => resolve(secured));
        secured.once("error", reject);
      });
      onSocket(socket);
      reader = new ReplyReader(socket);
      isEncrypted = true;
      hello = await command(`EHLO ${clientName}`, [250], "EHLO after STARTTLS");
    }
    if (auth) {
      if (!isEncrypted && !LOOPBACK.has(host)) throw new DeliveryError(`Refusing to send the SMTP password to ${this.where()} without TLS.`, false);
      const mechanisms = hello.lines.find((l) => /^AUTH\b/i.test(l)) ?? "";
      if (!/\bPLAIN\b/i.test(mechanisms)) throw new DeliveryError(`The SMTP server ${this.where()} does not offer AUTH PLAIN.`, false);
      const token = Buffer.from(`\0${auth.user}\0${auth.pass}`, "utf8").toString("base64");
      await command(`AUTH PLAIN ${token}`, [235], "the login");
    }
    await command(`MAIL FROM:<${from}>`, [250], "the sender");
    for (const recipient of to) await command(`RCPT TO:<${recipient}>`, [250, 251], `the recipient ${recipient}`);
    await command("DATA", [354], "DATA");
    await command(`${formatEmail(notification, from, to, this.options.clock.now())}\r\n.`, [250], "the message");
    // The message is accepted; a server that drops the line before answering QUIT changes nothing.
    socket.write("QUIT\r\n");
    socket.end();
  }
}
