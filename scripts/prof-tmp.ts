import { createSmaCrossStrategy } from "../server/core/strategies/sma-cross";
import { loadCandlesCsv } from "../server/venues/replay/csv";
import { runEngineBacktest } from "../server/engine/backtest";
const REAL = loadCandlesCsv("/work/main/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv");
const N = Number(process.env.N ?? 40);
const times: number[] = [];
for (let k = 0; k < N; k++) {
  const s = createSmaCrossStrategy({ fast: 10, slow: 30 }); if (!s.ok) throw 1;
  const t = performance.now();
  const r = runEngineBacktest({ candles: REAL, symbol: "BTC/USDT", strategy: s.value, capital: "10000", feeBps: 10, slippageBps: 2, qtyStep: process.env.STEP ?? null });
  times.push(performance.now() - t);
  if (k === N - 1) console.log(r.trades.length, r.finalEquity.toString());
}
times.sort((a, b) => a - b);
console.log("best", times[0]!.toFixed(1), "median", times[N >> 1]!.toFixed(1), "cps", Math.round(REAL.length / (times[0]! / 1000)));
