/** The read side of per-symbol settings: who changed which symbol, and when (the values come from the engine). */
import { db } from "../client";

export function symbolSettingChanges() {
  return db().symbolSetting.findMany({ select: { symbol: true, updatedAt: true, updatedBy: true } });
}
