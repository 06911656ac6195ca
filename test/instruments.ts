/** The instruments engine tests trade (Binance-like BTC/USDT and ETH/USDT spot), written once. */
import { makeInstrument } from "../server/core/instrument";

export const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});

export const ETH = makeInstrument({
  symbol: "ETH/USDT",
  priceTick: "0.01",
  qtyStep: "0.0001",
  minQty: "0.0001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});
