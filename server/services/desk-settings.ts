/**
 * The desk file from the Risk page: export the live settings as desk-file YAML, preview an imported file's
 * differences field by field, and apply them through the settings service's audited update paths (only where they
 * differ, so applying the same file twice changes nothing the second time). Desk, venue and strategy sections and the
 * defaults of symbols without settings are read from the desk file at start; an import shows them, never applies them.
 */
import { z } from "zod";
import { appConfig } from "../config";
import { DomainError } from "../core/errors";
import { idempotencyKeySchema, isWellFormed } from "../core/input-schemas";
import { deskChanges, deskExportYaml, type DeskChangeRow, type RunningDesk } from "../engine/desk-changes";
import { DESK_FILE_MAX_BYTES, DeskFileError, parseDeskFile, type DeskFile } from "../engine/desk-file";
import type { Actor } from "../engine/types";
import { requireEngine, requireRuntime } from "./engine";
import { plainParser, setBreakerConfig, setRiskLimits, setSymbolSettings } from "./settings";

const IMPORT_SOURCE = "the imported file";

export const deskImportInput = plainParser(
  z
    .object({
      yaml: z
        .string({ error: "yaml must be the text of a desk file" })
        .refine(isWellFormed, "the desk file contains a broken character (a lone UTF-16 surrogate)")
        .refine((v) => Buffer.byteLength(v, "utf8") <= DESK_FILE_MAX_BYTES, {
          error: (issue) =>
            `the desk file is ${Math.ceil(Buffer.byteLength(String(issue.input), "utf8") / 1024)} KB; at most ${DESK_FILE_MAX_BYTES / 1024} KB is accepted`,
        }),
      idempotencyKey: idempotencyKeySchema,
    })
    .strict(),
);

function running(): RunningDesk {
  const runtime = requireRuntime();
  return { mode: runtime.mode, symbols: runtime.engine.instrumentList().map((i) => i.symbol) };
}

/** The live settings as a desk file. */
export function exportDesk(now: Date = new Date()): { yaml: string; fileName: string } {
  const engine = requireEngine();
  const config = appConfig();
  const desk = running();
  // The strategies as they run: on the symbols the running desk trades (none of them: the built-in one on its first).
  const strategies = config.strategies.map((s) => ({ ...s, symbols: s.symbols.filter((x) => desk.symbols.includes(x)) })).filter((s) => s.symbols.length > 0);
  const yaml = deskExportYaml(engine.riskSettings(), {
    ...desk,
    desk: config.desk,
    strategy: config.strategy,
    ...(strategies.length > 0 ? { strategies } : {}),
    venueId: engine.venueId(),
    at: now,
  });
  return { yaml, fileName: `desk-${now.toISOString().slice(0, 10)}.yaml` };
}

function parseImport(yaml: string): { ok: true; desk: DeskFile } | { ok: false; problems: string[] } {
  if (yaml.trim() === "") return { ok: false, problems: ["The file is empty: paste a desk file or choose one."] };
  try {
    return { ok: true, desk: parseDeskFile(yaml, { source: IMPORT_SOURCE }) };
  } catch (e) {
    if (e instanceof DeskFileError) return { ok: false, problems: [...e.problems] };
    throw e;
  }
}

export type DeskImportPreview =
  | { ok: false; problems: string[] }
  | {
      ok: true;
      rows: DeskChangeRow[];
      /** How many rows an apply puts in force now. */
      liveChanges: number;
      notActedUpon: string[];
    };

/** What importing `yaml` would change, field by field; a bad file gives its problems in words. */
export function previewDeskImport(yaml: string): DeskImportPreview {
  const parsed = parseImport(yaml);
  if (!parsed.ok) return parsed;
  const engine = requireEngine();
  const changes = deskChanges(engine.riskSettings(), parsed.desk, running());
  return { ok: true, rows: changes.rows, liveChanges: changes.rows.filter((r) => r.effect === "live").length, notActedUpon: parsed.desk.notActedUpon };
}

/**
 * Applies the file's differences through the audited settings paths, computed again here from the file (never from
 * the client's preview). Returns how many setting groups changed; nothing to change is not an error.
 */
export async function applyDeskImport(yaml: string, actor: Actor): Promise<{ message: string; applied: string[] }> {
  const parsed = parseImport(yaml);
  if (!parsed.ok) throw new DomainError("VALIDATION", `The desk file is refused: ${parsed.problems.join(" · ")}`, { problems: parsed.problems });
  const engine = requireEngine();
  const changes = deskChanges(engine.riskSettings(), parsed.desk, running());
  const applied: string[] = [];
  if (changes.riskLimits) {
    await setRiskLimits(changes.riskLimits, actor);
    applied.push("risk limits");
  }
  if (changes.breakerConfig) {
    await setBreakerConfig(changes.breakerConfig, actor);
    applied.push("breaker");
  }
  for (const { symbol, settings } of changes.symbols) {
    await setSymbolSettings(symbol, settings, actor);
    applied.push(`settings of ${symbol}`);
  }
  const message = applied.length === 0 ? "Nothing to change: the live settings already match the file." : `Applied: ${applied.join(", ")}.`;
  return { message, applied };
}
