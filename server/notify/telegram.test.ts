/**
 * The Telegram channel against a local fake Bot API (node:http): sendMessage's path and JSON, a 429 whose
 * retry_after sets the next attempt, and a bot token that never appears in what is recorded.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type HttpReceiver, closedPort, startFakeTelegram } from "../../test/notify/receivers";
import { fakeTime, waitForAttempt } from "../../test/notify/support";
import { NotificationChannel } from "./channel";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { TelegramTransport, telegramText } from "./telegram";
import { type Notification } from "./types";

const TOKEN = "123456789:AAE-fakeTokenForTests_0123456789ab";

const breakerTrip: Notification = {
  id: "ntf-7",
  kind: "breaker",
  severity: "critical",
  ts: Date.parse("2018-01-16T22:45:00Z"),
  title: "Circuit breaker tripped: DRAWDOWN_PCT",
  detail: "Drawdown of 15.2% from peak equity 1.25 reached the 15% limit. (by system)",
};

const receivers: HttpReceiver[] = [];
const channels: NotificationChannel[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) channel.close();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

function telegramChannel(baseUrl: string) {
  const { clock, scheduler } = fakeTime();
  const repository = new InMemoryDeliveryRepository();
  const channel = new NotificationChannel({
    name: "desk-telegram",
    transport: new TelegramTransport({ botToken: TOKEN, chatId: "-1001234567890", baseUrl: `${baseUrl}/`, timers: scheduler }),
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000 },
    clock,
    timers: scheduler,
    repository,
    secrets: [TOKEN],
  });
  channels.push(channel);
  return { clock, scheduler, repository, channel };
}

describe("Telegram channel", () => {
  it("calls sendMessage on the configured base URL with the chat id and a plain-text message", async () => {
    const telegram = await startFakeTelegram(TOKEN);
    receivers.push(telegram);
    const { repository, channel } = telegramChannel(telegram.url);
    channel.offer(breakerTrip);
    const request = await telegram.next();
    expect(request.url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(JSON.parse(request.body)).toEqual({ chat_id: "-1001234567890", text: telegramText(breakerTrip), disable_web_page_preview: true });
    expect(telegramText(breakerTrip)).toBe(
      "[CRITICAL] Circuit breaker tripped: DRAWDOWN_PCT\nDrawdown of 15.2% from peak equity 1.25 reached the 15% limit. (by system)\n2018-01-16T22:45:00.000Z · ntf-7",
    );
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "delivered", attempt: 1 });
  });

  it("429 with retry_after 7: the next attempt waits 7 s (longer than the 1 s backoff), then delivers", async () => {
    const telegram = await startFakeTelegram(TOKEN, (index) =>
      index === 0
        ? { status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } }) }
        : null,
    );
    receivers.push(telegram);
    const { clock, scheduler, repository, channel } = telegramChannel(telegram.url);
    channel.offer(breakerTrip);
    const failed = await waitForAttempt(repository, (a) => a.attempt === 1);
    expect(failed).toMatchObject({
      outcome: "failed",
      error: "Telegram answered HTTP 429: Too Many Requests: retry after 7",
      nextAttemptAt: clock.now() + 7_000,
    });
    scheduler.runNext();
    expect(await waitForAttempt(repository, (a) => a.attempt === 2)).toMatchObject({ outcome: "delivered" });
  });

  it("a refusal that quotes the token is recorded scrubbed and not retried (400)", async () => {
    const telegram = await startFakeTelegram(TOKEN, () => ({
      status: 400,
      body: JSON.stringify({ ok: false, error_code: 400, description: `Bad Request: chat not found for bot${TOKEN}` }),
    }));
    receivers.push(telegram);
    const { repository, channel } = telegramChannel(telegram.url);
    channel.offer(breakerTrip);
    const attempt = await waitForAttempt(repository, () => true);
    expect(attempt).toMatchObject({ outcome: "gave_up", error: "Telegram answered HTTP 400: Bad Request: chat not found for bot***" });
    expect(JSON.stringify(repository.list())).not.toContain(TOKEN.split(":")[1]);
  });

  it("the API down (connection refused): the error names Telegram, never the URL with the token", async () => {
    const port = await closedPort();
    const { repository, channel } = telegramChannel(`http://127.0.0.1:${port}`);
    channel.offer(breakerTrip);
    const attempt = await waitForAttempt(repository, () => true);
    expect(attempt).toMatchObject({ outcome: "failed", error: "Telegram could not be reached (ECONNREFUSED)." });
  });

  it("a 200 without ok: true is a failure", async () => {
    const telegram = await startFakeTelegram(TOKEN, () => ({ status: 200, body: "<html>proxy login</html>" }));
    receivers.push(telegram);
    const { repository, channel } = telegramChannel(telegram.url);
    channel.offer(breakerTrip);
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "failed", error: "Telegram answered without ok: true." });
  });
});
