/**
 * settings: risk limits, per-symbol settings and the breaker config. Everyone signed in reads them; only an admin
 * changes them, through the engine (validated again there, applied in its queue, audited), one at a time or by
 * importing a desk file; only an admin exports them as one.
 */
import { applyDeskImport, deskImportInput, exportDesk, previewDeskImport } from "../../services/desk-settings";
import {
  breakerConfigInput,
  riskLimitsInput,
  setBreakerConfig,
  setRiskLimits,
  setSymbolSettings,
  settingsSnapshot,
  symbolSettingsInput,
} from "../../services/settings";
import { adminProcedure, router, viewerProcedure } from "../trpc";

export const settingsRouter = router({
  get: viewerProcedure.query(() => settingsSnapshot()),
  /** The whole set of portfolio limits: a limit left out is no limit. */
  setRiskLimits: adminProcedure.input(riskLimitsInput).mutation(({ ctx, input }) => setRiskLimits(input, ctx.actor)),
  /** One symbol's settings, whole (fields left out take their defaults). */
  setSymbol: adminProcedure.input(symbolSettingsInput).mutation(({ ctx, input }) => setSymbolSettings(input.symbol, input.settings, ctx.actor)),
  /** The whole breaker config (fields left out take their defaults; null disables a limit). */
  setBreakerConfig: adminProcedure.input(breakerConfigInput).mutation(({ ctx, input }) => setBreakerConfig(input, ctx.actor)),
  /** The live settings as a desk file (YAML), to download. */
  exportDesk: adminProcedure.query(() => exportDesk()),
  /** A desk file's differences from the live settings, field by field (nothing changes). */
  previewDeskImport: adminProcedure.input(deskImportInput).mutation(({ input }) => previewDeskImport(input.yaml)),
  /** Puts a desk file's differences in force through the audited paths above; the same file twice changes nothing. */
  applyDeskImport: adminProcedure.input(deskImportInput).mutation(({ ctx, input }) => applyDeskImport(input.yaml, ctx.actor)),
});
