/** <Money> and <Pnl> format at the desk currency's precision: a BTC desk's PnL is never rounded to "0.00". */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DeskCurrencyContext } from "./currency";
import { Money, Pnl } from "./kit";

function render(currency: string | null, node: ReturnType<typeof createElement>): string {
  const html = renderToStaticMarkup(createElement(DeskCurrencyContext.Provider, { value: currency }, node));
  return html.replace(/<[^>]+>/g, "");
}

describe("money in the desk's currency", () => {
  it("shows a BTC desk's equity to 8 decimals and a USDT desk's to 2", () => {
    expect(render("BTC", createElement(Money, { value: "1" }))).toBe("1.00000000");
    expect(render("USDT", createElement(Money, { value: "1000" }))).toBe("1,000.00");
    expect(render("BTC", createElement(Money, { value: "1", suffix: true }))).toBe("1.00000000 BTC");
  });

  it("shows a small BTC PnL instead of rounding it to zero", () => {
    expect(render("BTC", createElement(Pnl, { value: "0.00012345" }))).toBe("▲ +0.00012345");
    expect(render("BTC", createElement(Pnl, { value: "-0.0001" }))).toBe("▼ −0.00010000");
    expect(render("USDT", createElement(Pnl, { value: "12.5" }))).toBe("▲ +12.50");
  });

  it("lets a page name another currency (a backtest's quote) or a percentage", () => {
    expect(render("USDT", createElement(Money, { value: "0.5", currency: "BTC" }))).toBe("0.50000000");
    expect(render("BTC", createElement(Pnl, { value: "3.14159", dp: 2 }))).toBe("▲ +3.14");
    // Before the shell knows the currency: 2 decimals.
    expect(render(null, createElement(Money, { value: "1" }))).toBe("1.00");
  });
});
