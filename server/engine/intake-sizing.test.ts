/** all_in sizing's division at fewer digits (intake.ts affordableQuantity): the stepped quantity is the 40-digit one's. */
import { describe, expect, it } from "vitest";
import { Decimal, roundToStep } from "../core/money";
import { DecimalDown } from "./context";
import { affordableQuantity } from "./intake";

describe("affordableQuantity", () => {
  it("floors to the step exactly as the 40-digit truncated quotient does", () => {
    let seed = 987654321;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const steps = ["1", "0.1", "0.001", "0.00001", "1e-8", "0.5", "0.025", "10"].map((s) => new Decimal(s));
    let checked = 0;
    for (let i = 0; i < 5_000; i++) {
      const budget = new Decimal((random() * 10 ** Math.floor(random() * 12 - 2)).toFixed(Math.floor(random() * 12)));
      const unitCost = new Decimal((random() * 10 ** Math.floor(random() * 10 - 4)).toFixed(Math.floor(random() * 12))).times("1.001");
      if (unitCost.isZero()) continue;
      for (const step of steps) {
        const want = roundToStep(new Decimal(new DecimalDown(budget).dividedBy(unitCost)), step, "down");
        const got = roundToStep(affordableQuantity(budget, unitCost, step), step, "down");
        expect({ budget: budget.toString(), unitCost: unitCost.toString(), step: step.toString(), q: got.toString() }).toEqual({
          budget: budget.toString(),
          unitCost: unitCost.toString(),
          step: step.toString(),
          q: want.toString(),
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30_000);
  });
  it("is the 40-digit quotient itself when the step is not a power of ten below one", () => {
    const budget = new Decimal("10000");
    const unitCost = new Decimal("23456.78").times("1.001");
    for (const step of ["0.5", "10", "0.025"]) {
      expect(affordableQuantity(budget, unitCost, new Decimal(step)).toString()).toBe(new Decimal(new DecimalDown(budget).dividedBy(unitCost)).toString());
    }
  });
});
