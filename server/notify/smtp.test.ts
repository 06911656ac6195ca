/**
 * The email channel against a local SMTP server started by the test (node:net): the conversation, AUTH PLAIN,
 * the message as received (headers, base64 body), a temporary refusal retried, a permanent one given up, and a
 * server that is down.
 */
import { type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type SmtpServer, closedPort, startSmtpServer, testCertificate } from "../../test/notify/receivers";
import { fakeTime, waitForAttempt } from "../../test/notify/support";
import { NotificationChannel } from "./channel";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { SmtpTransport, type SmtpOptions, formatEmail } from "./smtp";
import { type Notification } from "./types";

const PASSWORD = "correct horse battery staple";

const stop: Notification = {
  id: "ntf-42",
  kind: "emergency",
  severity: "critical",
  ts: Date.parse("2023-03-11T08:05:00Z"),
  title: "Emergency stop: trading HALTED",
  detail: "Halted by alice: USDC de-peg — BTC/USDC 5% over BTC/USD.\n.A line that starts with a dot.",
};

const servers: SmtpServer[] = [];
const channels: NotificationChannel[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) channel.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function emailChannel(host: string, port: number, overrides: Partial<SmtpOptions> = {}) {
  const { clock, scheduler } = fakeTime();
  const repository = new InMemoryDeliveryRepository();
  const transport = new SmtpTransport({
    host,
    port,
    security: "none",
    from: "bastion@desk.example",
    to: ["ops@desk.example", "risk@desk.example"],
    clock,
    timers: scheduler,
    ...overrides,
  });
  const channel = new NotificationChannel({
    name: "ops-email",
    transport,
    retry: { maxAttempts: 3, baseDelayMs: 5_000, maxDelayMs: 60_000 },
    clock,
    timers: scheduler,
    repository,
    secrets: [PASSWORD],
  });
  channels.push(channel);
  return { clock, scheduler, repository, channel };
}

function decodeBody(data: string): { headers: Record<string, string>; text: string } {
  const [head, ...rest] = data.split("\r\n\r\n");
  const headers = Object.fromEntries(head!.split("\r\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]));
  return { headers, text: Buffer.from(rest.join("\r\n\r\n").replace(/\r\n/g, ""), "base64").toString("utf8") };
}

describe("email channel (SMTP)", () => {
  it("logs in with AUTH PLAIN on a loopback relay and delivers one message to every recipient", async () => {
    const server = await startSmtpServer({ users: { bastion: PASSWORD } });
    servers.push(server);
    const { clock, repository, channel } = emailChannel(server.host, server.port, { auth: { user: "bastion", pass: PASSWORD } });
    channel.offer(stop);
    const message = await server.next();

    expect(message).toMatchObject({
      ehlo: "bastion.localhost",
      auth: { user: "bastion", pass: PASSWORD },
      from: "bastion@desk.example",
      to: ["ops@desk.example", "risk@desk.example"],
    });
    const { headers, text } = decodeBody(message.data);
    expect(headers).toMatchObject({
      From: "bastion@desk.example",
      To: "ops@desk.example, risk@desk.example",
      Subject: "[Bastion critical] Emergency stop: trading HALTED",
      Date: new Date(clock.now()).toUTCString().replace("GMT", "+0000"),
      "Message-ID": "<ntf-42@bastion.local>",
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Transfer-Encoding": "base64",
    });
    expect(text).toContain("Halted by alice: USDC de-peg — BTC/USDC 5% over BTC/USD.\n.A line that starts with a dot.");
    expect(text).toContain("Id: ntf-42");
    expect(server.transcript.slice(0, 6).map((line) => line.split(" ")[0])).toEqual(["EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA"]);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "delivered", attempt: 1 });
  });

  it("a subject that is not ASCII is sent as an RFC 2047 encoded word; a line starting with a dot is stuffed", () => {
    const data = formatEmail({ ...stop, title: "Verlust über Grenze" }, "a@b.c", ["d@e.f"], 0);
    expect(data).toContain(`Subject: =?UTF-8?B?${Buffer.from("[Bastion critical] Verlust über Grenze").toString("base64")}?=`);
    const dotted = formatEmail({ ...stop, id: ".x" }, "a@b.c", ["d@e.f"], 0);
    expect(dotted.split("\r\n").every((line) => !line.startsWith(".") || line.startsWith(".."))).toBe(true);
  });

  it("a wrong password is a permanent refusal (535): given up, the password nowhere in the record", async () => {
    const server = await startSmtpServer({ users: { bastion: "another password" } });
    servers.push(server);
    const { scheduler, repository, channel } = emailChannel(server.host, server.port, { auth: { user: "bastion", pass: PASSWORD } });
    channel.offer(stop);
    const attempt = await waitForAttempt(repository, () => true);
    expect(attempt.outcome).toBe("gave_up");
    expect(attempt.error).toBe(`The SMTP server 127.0.0.1:${server.port} refused the login: 535 5.7.8 Authentication credentials invalid`);
    expect(JSON.stringify(repository.list())).not.toContain("horse");
    expect(scheduler.pending).toBe(0);
  });

  it("451 on RCPT (greylisting) is retried after the backoff and then delivered", async () => {
    const server = await startSmtpServer({ reply: (verb, session) => (verb === "RCPT" && session === 0 ? "451 4.7.1 Greylisted, try again later" : null) });
    servers.push(server);
    const { clock, scheduler, repository, channel } = emailChannel(server.host, server.port);
    channel.offer(stop);
    const first = await waitForAttempt(repository, (a) => a.attempt === 1);
    expect(first).toMatchObject({
      outcome: "failed",
      error: `The SMTP server 127.0.0.1:${server.port} refused the recipient ops@desk.example: 451 4.7.1 Greylisted, try again later`,
      nextAttemptAt: clock.now() + 5_000,
    });
    scheduler.runNext();
    expect(await waitForAttempt(repository, (a) => a.attempt === 2)).toMatchObject({ outcome: "delivered" });
    expect(server.messages).toHaveLength(1);
  });

  it("550 on the message itself is not retried", async () => {
    const server = await startSmtpServer({ reply: (verb) => (verb === "END" ? "550 5.7.1 Message rejected as spam" : null) });
    servers.push(server);
    const { repository, channel } = emailChannel(server.host, server.port);
    channel.offer(stop);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({
      outcome: "gave_up",
      error: expect.stringContaining("refused the message: 550 5.7.1") as unknown,
    });
  });

  it("the server down (connection refused): retried 5 s then 10 s later, then given up", async () => {
    const port = await closedPort();
    const { clock, scheduler, repository, channel } = emailChannel("127.0.0.1", port);
    const start = clock.now();
    channel.offer(stop);
    expect(await waitForAttempt(repository, (a) => a.attempt === 1)).toMatchObject({
      outcome: "failed",
      error: `The SMTP server 127.0.0.1:${port} could not be reached or dropped the connection (ECONNREFUSED).`,
      nextAttemptAt: start + 5_000,
    });
    scheduler.runNext();
    expect(await waitForAttempt(repository, (a) => a.attempt === 2)).toMatchObject({ outcome: "failed", nextAttemptAt: start + 15_000 });
    scheduler.runNext();
    expect(await waitForAttempt(repository, (a) => a.attempt === 3)).toMatchObject({ outcome: "gave_up" });
  });

  it("a server that never answers times out on the injected timers", async () => {
    const { createServer } = await import("node:net");
    const accepted: Socket[] = [];
    let onConnection: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => (onConnection = resolve));
    const silent = createServer((socket) => {
      accepted.push(socket);
      socket.on("error", () => undefined);
      onConnection();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { scheduler, repository, channel } = emailChannel("127.0.0.1", port);
      channel.offer(stop);
      await connected;
      // The only timer is the transaction's deadline: firing it ends the attempt.
      expect(scheduler.pending).toBe(1);
      scheduler.runNext();
      expect(await waitForAttempt(repository, () => true)).toMatchObject({
        outcome: "failed",
        error: `The SMTP server 127.0.0.1:${port} did not finish within 30000 ms.`,
      });
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("refuses to send the password over plain text to a host that is not one of the loopback names", async () => {
    // 127.0.0.2 reaches a local server on Linux, yet only 127.0.0.1, ::1 and localhost are trusted without TLS.
    const server = await startSmtpServer({ users: { bastion: PASSWORD } }, "127.0.0.2");
    servers.push(server);
    const { repository, channel } = emailChannel("127.0.0.2", server.port, { auth: { user: "bastion", pass: PASSWORD } });
    channel.offer(stop);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({
      outcome: "gave_up",
      error: `Refusing to send the SMTP password to 127.0.0.2:${server.port} without TLS.`,
    });
    expect(server.transcript.some((line) => line.startsWith("AUTH"))).toBe(false);
  });

  it("STARTTLS: upgrades, says EHLO again, and only then logs in; the message goes encrypted", async () => {
    const { key, cert } = testCertificate();
    const server = await startSmtpServer({ users: { bastion: PASSWORD }, tls: { mode: "starttls", key, cert } });
    servers.push(server);
    const { repository, channel } = emailChannel(server.host, server.port, { security: "starttls", tlsCa: cert, auth: { user: "bastion", pass: PASSWORD } });
    channel.offer(stop);
    const message = await server.next();
    expect(message).toMatchObject({ isEncrypted: true, auth: { user: "bastion", pass: PASSWORD }, to: ["ops@desk.example", "risk@desk.example"] });
    expect(server.transcript.slice(0, 4).map((line) => line.split(" ")[0])).toEqual(["EHLO", "STARTTLS", "EHLO", "AUTH"]);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "delivered" });
  });

  it("implicit TLS (port 465 style) delivers", async () => {
    const { key, cert } = testCertificate();
    const server = await startSmtpServer({ tls: { mode: "implicit", key, cert } });
    servers.push(server);
    const { repository, channel } = emailChannel(server.host, server.port, { security: "tls", tlsCa: cert });
    channel.offer(stop);
    expect(await server.next()).toMatchObject({ isEncrypted: true, from: "bastion@desk.example" });
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "delivered" });
  });

  it("a certificate the channel does not trust is refused: nothing is sent", async () => {
    const { key, cert } = testCertificate();
    const server = await startSmtpServer({ users: { bastion: PASSWORD }, tls: { mode: "starttls", key, cert } });
    servers.push(server);
    const { repository, channel } = emailChannel(server.host, server.port, { security: "starttls", auth: { user: "bastion", pass: PASSWORD } });
    channel.offer(stop);
    const attempt = await waitForAttempt(repository, () => true);
    expect(attempt.outcome).toBe("failed");
    expect(attempt.error).toMatch(/could not be reached or dropped the connection \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    expect(server.transcript.some((line) => line.startsWith("AUTH"))).toBe(false);
    expect(server.messages).toHaveLength(0);
  });

  it("STARTTLS required but not offered: given up before anything is sent", async () => {
    const server = await startSmtpServer();
    servers.push(server);
    const { repository, channel } = emailChannel(server.host, server.port, { security: "starttls" });
    channel.offer(stop);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({
      outcome: "gave_up",
      error: `The SMTP server 127.0.0.1:${server.port} does not offer STARTTLS.`,
    });
    expect(server.transcript).toEqual(["EHLO bastion.localhost"]);
  });

  it("refuses header-injecting addresses when the channel is built", () => {
    expect(() => emailChannel("127.0.0.1", 25, { to: ["ops@desk.example>\r\nBcc: x@y.z"] })).toThrow(/Not an email address/);
  });
});
