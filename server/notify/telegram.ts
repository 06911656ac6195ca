/**
 * The Telegram channel: the Bot API's sendMessage (`POST <baseUrl>/bot<token>/sendMessage`). The base URL is
 * configurable (a local fake in tests, a proxy in production). The token sits in the URL, so no error here ever
 * quotes the URL; the channel scrubs the token from whatever the API answers, too.
 * Plain text (no parse_mode): an alert's text never breaks Telegram's HTML or Markdown parser.
 */
import { type FetchLike, postJson } from "./http";
import { DeliveryError, type Notification, type NotifyTimers, type Transport } from "./types";

export const TELEGRAM_API = "https://api.telegram.org";
/** Telegram refuses longer messages. */
const MAX_TEXT = 4096;

export interface TelegramOptions {
  botToken: string;
  chatId: string;
  baseUrl?: string;
  timers: NotifyTimers;
  timeoutMs?: number;
  fetch?: FetchLike;
}

export function telegramText(notification: Notification): string {
  const text = `[${notification.severity.toUpperCase()}] ${notification.title}\n${notification.detail}\n${new Date(notification.ts).toISOString()} · ${notification.id}`;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

export class TelegramTransport implements Transport {
  readonly type = "telegram";

  constructor(private readonly options: TelegramOptions) {}

  async send(notification: Notification): Promise<void> {
    const base = (this.options.baseUrl ?? TELEGRAM_API).replace(/\/+$/, "");
    try {
      const answer = await postJson({
        url: `${base}/bot${this.options.botToken}/sendMessage`,
        label: "Telegram",
        headers: {},
        body: JSON.stringify({ chat_id: this.options.chatId, text: telegramText(notification), disable_web_page_preview: true }),
        timeoutMs: this.options.timeoutMs ?? 10_000,
        timers: this.options.timers,
        fetch: this.options.fetch ?? ((url, init) => fetch(url, init)),
      });
      const parsed = safeJson(answer) as { ok?: unknown } | null;
      if (parsed?.ok !== true) throw new DeliveryError("Telegram answered without ok: true.", true);
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      // Telegram says why in JSON: { ok: false, error_code, description, parameters: { retry_after } }.
      const body = /^Telegram answered HTTP (\d+): (.*)$/s.exec(error.message);
      if (!body) throw error;
      const parsed = safeJson(body[2]!) as { description?: unknown; parameters?: { retry_after?: unknown } } | null;
      const retryAfter = typeof parsed?.parameters?.retry_after === "number" ? parsed.parameters.retry_after * 1000 : error.retryAfterMs;
      const description = typeof parsed?.description === "string" ? parsed.description : body[2]!;
      throw new DeliveryError(`Telegram answered HTTP ${body[1]}: ${description}`, error.isRetryable, retryAfter);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
