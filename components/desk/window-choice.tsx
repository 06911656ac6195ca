"use client";
/**
 * The page head with a window choice (7 days, 30 days, … all time) that the Performance and Strategies pages share:
 * the chosen key and the window's start, rounded to the minute when chosen so it stays the same between renders
 * (a query keyed on it would otherwise refetch on every render).
 */
import { useState } from "react";

/** A window's key, its button label and its length in days (null: all time). */
export type WindowOption = [key: string, label: string, days: number | null];

export function useWindowChoice(initialKey = "all") {
  const [windowKey, setWindowKey] = useState(initialKey);
  const [from, setFrom] = useState<number | undefined>(undefined);
  const choose = (key: string, days: number | null) => {
    setWindowKey(key);
    setFrom(days === null ? undefined : Math.floor((Date.now() - days * 86_400_000) / 60_000) * 60_000);
  };
  return { windowKey, from, choose };
}

/** The page title beside one pressed-state button per window. */
export function WindowHead(props: {
  title: string;
  windows: readonly WindowOption[];
  windowKey: string;
  onChoose: (key: string, days: number | null) => void;
}) {
  return (
    <div className="perf-head">
      <h1 className="page-title">{props.title}</h1>
      <div className="perf-seg" role="group" aria-label="Window">
        {props.windows.map(([key, label, days]) => (
          <button
            key={key}
            type="button"
            className={`btn small${props.windowKey === key ? " active" : ""}`}
            aria-pressed={props.windowKey === key}
            onClick={() => props.onChoose(key, days)}
          >
            {label}
          </button>
        ))}
      </div>
    </div>
  );
}
