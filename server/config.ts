/** Process configuration from the environment, validated once. */
import { z } from "zod";

export const MODES = ["replay", "paper", "live", "backtest"] as const;
export type Mode = (typeof MODES)[number];

const envSchema = z.object({
  BASTION_MODE: z.enum(MODES, { error: `BASTION_MODE must be one of ${MODES.join(", ")}` }).default("replay"),
  DATABASE_URL: z.string().min(1).default("file:./data/bastion.db"),
});

export interface AppConfig {
  mode: Mode;
  databaseUrl: string;
}

let cached: AppConfig | undefined;

export function appConfig(): AppConfig {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Bad configuration: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  cached = { mode: parsed.data.BASTION_MODE, databaseUrl: parsed.data.DATABASE_URL };
  return cached;
}
