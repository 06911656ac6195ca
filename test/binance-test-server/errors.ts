/**
 * Binance SPOT REST error answers, with Binance's own codes, messages and HTTP statuses
 * (developers.binance.com › spot › errors). A handler throws `BinanceApiError`; the server turns it
 * into `{ "code": -1013, "msg": "Filter failure: LOT_SIZE" }` with the status Binance uses.
 */
export class BinanceApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly msg: string,
  ) {
    super(`${code}: ${msg}`);
    this.name = "BinanceApiError";
  }

  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.msg };
  }
}

const bad = (code: number, msg: string): BinanceApiError => new BinanceApiError(400, code, msg);

/** The errors the test server answers with. */
export const BinanceErrors = {
  unknown: (detail = "An unknown error occurred while processing the request."): BinanceApiError => new BinanceApiError(500, -1000, detail),
  /** Binance answers it with a 5XX: the execution status is unknown (the order may or may not exist). */
  statusUnknown: (): BinanceApiError =>
    new BinanceApiError(503, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
  tooManyRequests: (limit: number): BinanceApiError =>
    new BinanceApiError(
      429,
      -1003,
      `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`,
    ),
  tooManyOrders: (limit: number, interval: string): BinanceApiError =>
    new BinanceApiError(429, -1015, `Too many new orders; current limit is ${limit} orders per ${interval}.`),
  unsupportedOperation: (): BinanceApiError => bad(-1020, "This operation is not supported."),
  timestampAhead: (): BinanceApiError => bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutsideWindow: (): BinanceApiError => bad(-1021, "Timestamp for this request is outside of the recvWindow."),
  badSignature: (): BinanceApiError => bad(-1022, "Signature for this request is not valid."),
  illegalChars: (param: string, legal?: string): BinanceApiError =>
    bad(-1100, legal ? `Illegal characters found in parameter '${param}'; legal range is '${legal}'.` : `Illegal characters found in parameter '${param}'.`),
  duplicateParam: (): BinanceApiError => bad(-1101, "Duplicate values for a parameter detected."),
  mandatory: (param: string): BinanceApiError => bad(-1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`),
  eitherParam: (a: string, b: string): BinanceApiError => bad(-1102, `Param '${a}' or '${b}' must be sent, but both were empty/null!`),
  unknownParam: (): BinanceApiError => bad(-1104, "Not all sent parameters were read; read 8 parameter(s) but was sent 9."),
  notRequired: (param: string): BinanceApiError => bad(-1106, `Parameter '${param}' sent when not required.`),
  badPrecision: (): BinanceApiError => bad(-1111, "Parameter 'quantity' has too much precision."),
  invalidTimeInForce: (): BinanceApiError => bad(-1115, "Invalid timeInForce."),
  invalidOrderType: (): BinanceApiError => bad(-1116, "Invalid orderType."),
  invalidSide: (): BinanceApiError => bad(-1117, "Invalid side."),
  invalidInterval: (): BinanceApiError => bad(-1120, "Invalid interval."),
  invalidSymbol: (): BinanceApiError => bad(-1121, "Invalid symbol."),
  invalidRecvWindow: (): BinanceApiError => bad(-1131, "recvWindow must be less than 60000"),
  filterFailure: (filter: string): BinanceApiError => bad(-1013, `Filter failure: ${filter}`),
  unsupportedCombination: (): BinanceApiError => bad(-1014, "Unsupported order combination."),
  orderTypeNotSupported: (): BinanceApiError => bad(-1013, "Order type not supported for this symbol."),
  newOrderRejected: (msg: string): BinanceApiError => bad(-2010, msg),
  insufficientBalance: (): BinanceApiError => bad(-2010, "Account has insufficient balance for requested action."),
  duplicateOrder: (): BinanceApiError => bad(-2010, "Duplicate order sent."),
  wouldTake: (): BinanceApiError => bad(-2010, "Order would immediately match and take."),
  stopWouldTrigger: (): BinanceApiError => bad(-2010, "Stop price would trigger immediately."),
  unknownOrderOnCancel: (): BinanceApiError => bad(-2011, "Unknown order sent."),
  unknownOrderListOnCancel: (): BinanceApiError => bad(-2011, "Unknown order list sent."),
  orderListDoesNotExist: (): BinanceApiError => bad(-2013, "Order list does not exist."),
  // OCO shape errors (binance-spot-api-docs errors.md, 11xx).
  ocoTypeRejected: (): BinanceApiError => bad(-1158, "Order type not supported in OCO."),
  buyOcoLimitBelow: (): BinanceApiError => bad(-1165, "A limit order in a buy OCO must be below."),
  sellOcoLimitAbove: (): BinanceApiError => bad(-1166, "A limit order in a sell OCO must be above."),
  bothOcoLimit: (): BinanceApiError => bad(-1168, "At least one OCO order must be contingent."),
  buyOcoStopAbove: (): BinanceApiError => bad(-1196, "A stop loss order in a buy OCO must be above."),
  sellOcoStopBelow: (): BinanceApiError => bad(-1197, "A stop loss order in a sell OCO must be below."),
  orderDoesNotExist: (): BinanceApiError => bad(-2013, "Order does not exist."),
  apiKeyFormat: (): BinanceApiError => new BinanceApiError(401, -2014, "API-key format invalid."),
  invalidApiKey: (): BinanceApiError => new BinanceApiError(401, -2015, "Invalid API-key, IP, or permissions for action."),
} as const;
