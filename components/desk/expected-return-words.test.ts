import { describe, expect, it } from "vitest";
import { expectedReturnLine, type SourcedTarget } from "./expected-return-words";

const DAY = 24 * 60 * 60 * 1000;
const basis = { freshnessMs: DAY, horizonMs: DAY };
const label = (m: string) => ({ max_sharpe: "Max Sharpe", kelly: "Half Kelly", risk_parity: "Risk parity" })[m] ?? m;

describe("expectedReturnLine", () => {
  const cases: { name: string; targets: SourcedTarget[]; expected: string | null }[] = [
    { name: "no target uses expected returns", targets: [{ method: "risk_parity" }], expected: null },
    {
      name: "all from history",
      targets: [{ method: "risk_parity" }, { method: "max_sharpe", expectedReturnSource: { A: "history", B: "history" } }],
      expected: "Expected returns (Max Sharpe): from each symbol's mean return over the window, no strategy signal gives one (a weak forecast).",
    },
    {
      name: "mixed, the same for both methods: said once",
      targets: [
        { method: "max_sharpe", expectedReturnSource: { A: "signal", B: "history", C: "history" } },
        { method: "kelly", expectedReturnSource: { A: "signal", B: "history", C: "history" } },
      ],
      expected:
        "Expected returns (Max Sharpe, Half Kelly): from signals for A (the freshest within 24 h, spread over 24 h); from the window's mean return for B, C (a weak forecast).",
    },
    {
      name: "all from signals",
      targets: [{ method: "kelly", expectedReturnSource: { A: "signal", B: "signal" } }],
      expected: "Expected returns (Half Kelly): from signals for A, B (the freshest within 24 h, spread over 24 h).",
    },
    {
      name: "methods that differ: per method",
      targets: [
        { method: "max_sharpe", expectedReturnSource: { A: "signal" } },
        { method: "kelly", expectedReturnSource: { A: "history" } },
      ],
      expected:
        "Expected returns — Max Sharpe: from signals for A (the freshest within 24 h, spread over 24 h) · Half Kelly: from each symbol's mean return over the window, no strategy signal gives one (a weak forecast).",
    },
  ];
  it.each(cases)("$name", ({ targets, expected }) => {
    expect(expectedReturnLine(targets, basis, label)).toBe(expected);
  });

  it("says the basis in hours", () => {
    const line = expectedReturnLine(
      [{ method: "kelly", expectedReturnSource: { A: "signal" } }],
      { freshnessMs: 6 * 3_600_000, horizonMs: 90 * 60_000 },
      label,
    );
    expect(line).toContain("within 6 h, spread over 1.5 h");
  });
});
