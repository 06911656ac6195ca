/** Process configuration from the environment, validated once. */
import { z } from "zod";

export const MODES = ["replay", "paper", "live", "backtest"] as const;
export type Mode = (typeof MODES)[number];

const envSchema = z.object({
  BASTION_MODE: z.enum(MODES, { error: `BASTION_MODE must be one of ${MODES.join(", ")}` }).default("replay"),
  DATABASE_URL: z.string().min(1).default("file:./data/bastion.db"),
  /** Signals stamped longer ago than this are refused (SIGNAL_TOO_OLD). */
  BASTION_SIGNAL_MAX_AGE_SECONDS: z.coerce
    .number({ error: "BASTION_SIGNAL_MAX_AGE_SECONDS must be a number of seconds" })
    .int("BASTION_SIGNAL_MAX_AGE_SECONDS must be whole seconds")
    .min(5, "BASTION_SIGNAL_MAX_AGE_SECONDS must be from 5 to 86400 seconds (a day)")
    .max(86_400, "BASTION_SIGNAL_MAX_AGE_SECONDS must be from 5 to 86400 seconds (a day)")
    .default(300),
  /** Signals stamped further ahead of the desk's clock than this are refused (SIGNAL_FROM_FUTURE). */
  BASTION_SIGNAL_MAX_AHEAD_SECONDS: z.coerce
    .number({ error: "BASTION_SIGNAL_MAX_AHEAD_SECONDS must be a number of seconds" })
    .int("BASTION_SIGNAL_MAX_AHEAD_SECONDS must be whole seconds")
    .min(0, "BASTION_SIGNAL_MAX_AHEAD_SECONDS must be from 0 to 600 seconds")
    .max(600, "BASTION_SIGNAL_MAX_AHEAD_SECONDS must be from 0 to 600 seconds")
    .default(30),
});

export interface AppConfig {
  mode: Mode;
  databaseUrl: string;
  /** The window of signal timestamps the engine takes, around its clock. */
  signalWindow: { maxAgeMs: number; maxAheadMs: number };
}

let cached: AppConfig | undefined;

export function appConfig(): AppConfig {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Bad configuration: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  cached = {
    mode: parsed.data.BASTION_MODE,
    databaseUrl: parsed.data.DATABASE_URL,
    signalWindow: { maxAgeMs: parsed.data.BASTION_SIGNAL_MAX_AGE_SECONDS * 1000, maxAheadMs: parsed.data.BASTION_SIGNAL_MAX_AHEAD_SECONDS * 1000 },
  };
  return cached;
}
