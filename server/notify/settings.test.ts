import { describe, expect, it } from "vitest";
import { fakeTime } from "../../test/notify/support";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { buildChannels, channelSecrets, notifySettingsSchema, webhookFromEnvironment } from "./settings";

const TOKEN = "123456789:AAE-fakeTokenForTests_0123456789ab";

function messagesFor(input: unknown): string[] {
  const parsed = notifySettingsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe("notifySettingsSchema", () => {
  it("fills defaults: default kinds, 10 a minute, 5 attempts from 2 s, a queue of 100", () => {
    const parsed = notifySettingsSchema.parse({ channels: [{ type: "webhook", name: "ops", url: "https://hooks.example.com/x", secret: "0123456789abcdef" }] });
    expect(parsed.channels[0]).toMatchObject({
      enabled: true,
      kinds: null,
      minSeverity: "info",
      symbols: null,
      rateLimit: { capacity: 10, perMinute: 10 },
      maxAttempts: 5,
      baseDelayMs: 2_000,
      maxDelayMs: 300_000,
      maxQueue: 100,
    });
    expect(notifySettingsSchema.parse({})).toEqual({ channels: [] });
  });

  it.each([
    { channel: { type: "webhook", name: "w", url: "ftp://x", secret: "0123456789abcdef" }, message: "url must be an http(s) URL." },
    { channel: { type: "webhook", name: "w", url: "https://x.example", secret: "short-secret" }, message: "secret must be 16 to 512 characters long." },
    {
      channel: { type: "telegram", name: "t", botToken: "not-a-token-but-secret", chatId: "1" },
      message: "botToken must be a Telegram bot token (digits, a colon, then letters).",
    },
    { channel: { type: "telegram", name: "t", botToken: TOKEN, chatId: "me" }, message: "chatId must be a numeric chat id or an @channel name." },
    { channel: { type: "email", name: "e", host: "smtp.example.com", from: "a@b.c", to: [] }, message: "to needs at least one address." },
    {
      channel: { type: "email", name: "e", host: "smtp.example.com", from: "a@b.c>\r\nBcc: x@y.z", to: ["d@e.f"] },
      message: "An email address must look like name@example.com.",
    },
    { channel: { type: "sms", name: "s" }, message: "A channel's type must be webhook, telegram or email." },
    {
      channel: { type: "webhook", name: "w", url: "https://x.example", secret: "0123456789abcdef", maxAttempts: 100 },
      message: "maxAttempts must be a whole number from 1 to 20.",
    },
  ])("refuses $channel.type with: $message", ({ channel, message }) => {
    expect(messagesFor({ channels: [channel] })).toEqual([message]);
  });

  it("never echoes a secret in a validation message", () => {
    const messages = messagesFor({ channels: [{ type: "telegram", name: "t", botToken: "secret-token-value-xyz", chatId: "1" }] }).join(" ");
    expect(messages).not.toContain("secret-token-value-xyz");
  });

  it("refuses two channels with the same name", () => {
    const webhook = { type: "webhook", name: "same", url: "https://x.example", secret: "0123456789abcdef" };
    expect(messagesFor({ channels: [webhook, webhook] })).toEqual(["Channel names must be unique."]);
  });

  it("the environment's webhook: none without a URL; a short secret is refused by the schema like any other", () => {
    expect(webhookFromEnvironment(undefined, "x")).toBeNull();
    const fromEnv = webhookFromEnvironment("https://hooks.example.com/bastion", "0123456789abcdef0123");
    expect(notifySettingsSchema.parse({ channels: [fromEnv] }).channels[0]).toMatchObject({ type: "webhook", name: "webhook-env" });
    expect(messagesFor({ channels: [webhookFromEnvironment("https://hooks.example.com/bastion", undefined)] })).toEqual([
      "secret must be 16 to 512 characters long.",
    ]);
  });

  it("buildChannels makes one channel per enabled setting, each knowing its secrets", () => {
    const { channels } = notifySettingsSchema.parse({
      channels: [
        { type: "webhook", name: "w", url: "https://x.example", secret: "0123456789abcdef" },
        { type: "telegram", name: "t", botToken: TOKEN, chatId: "-100123", enabled: false },
        { type: "email", name: "e", host: "smtp.example.com", user: "bastion", pass: "p4ss-word", from: "a@b.c", to: ["d@e.f"] },
      ],
    });
    const { clock, scheduler } = fakeTime();
    const built = buildChannels(channels, { clock, timers: scheduler, repository: new InMemoryDeliveryRepository() });
    expect(built.map((channel) => channel.name)).toEqual(["w", "e"]);
    expect(channelSecrets(channels[2]!)).toEqual(["p4ss-word", Buffer.from("\0bastion\0p4ss-word").toString("base64")]);
    expect(channelSecrets(channels[1]!)).toEqual([TOKEN]);
  });
});
