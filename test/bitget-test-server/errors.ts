/**
 * Bitget v2 REST error answers: `{ "code": "43012", "msg": "Insufficient balance", "requestTime": …, "data": null }`
 * with Bitget's own codes and messages (bitget.com/api-doc/common/error-code), chosen so that ccxt's `bitget`
 * class (4.5.84, its `exceptions.exact` map) raises the class the real exchange's answer would raise:
 * 40009 / 40012 / 40037 AuthenticationError, 40005 / 40008 InvalidNonce, 43001 OrderNotFound, 43012
 * InsufficientFunds, 40808 / 45110 InvalidOrder, 429 DDoSProtection, 500 ExchangeNotAvailable.
 */
export class BitgetApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    readonly msg: string,
  ) {
    super(`${code}: ${msg}`);
    this.name = "BitgetApiError";
  }

  body(requestTime: number): { code: string; msg: string; requestTime: number; data: null } {
    return { code: this.code, msg: this.msg, requestTime, data: null };
  }
}

const bad = (code: string, msg: string): BitgetApiError => new BitgetApiError(400, code, msg);

/** The errors the test server answers with. */
export const BitgetErrors = {
  /** Bitget's "System busy": ccxt raises ExchangeNotAvailable, so a client cannot know whether an order was placed. */
  systemBusy: (): BitgetApiError => new BitgetApiError(500, "500", "System busy"),
  internal: (detail: string): BitgetApiError => new BitgetApiError(500, "40015", `System is abnormal, please try again later (${detail})`),
  tooManyRequests: (): BitgetApiError => new BitgetApiError(429, "429", "Too Many Requests"),
  notFound: (): BitgetApiError => new BitgetApiError(404, "40404", "Request URL NOT FOUND"),
  accessKeyEmpty: (): BitgetApiError => new BitgetApiError(401, "40001", "ACCESS_KEY cannot be empty"),
  signEmpty: (): BitgetApiError => new BitgetApiError(401, "40003", "Signature cannot be empty"),
  timestampInvalid: (): BitgetApiError => bad("40005", "Invalid ACCESS_TIMESTAMP"),
  contentType: (): BitgetApiError => bad("40007", "Invalid Content_Type, please use application/json format"),
  timestampExpired: (): BitgetApiError => bad("40008", "Request timestamp expired"),
  badSign: (): BitgetApiError => bad("40009", "sign signature error"),
  passphraseEmpty: (): BitgetApiError => new BitgetApiError(401, "40011", "ACCESS_PASSPHRASE cannot be empty"),
  badPassphrase: (): BitgetApiError => bad("40012", "apikey/password is incorrect"),
  unknownApiKey: (): BitgetApiError => bad("40037", "Apikey does not exist"),
  paramEmpty: (name: string): BitgetApiError => bad("40019", `Parameter ${name} cannot be empty`),
  paramDoesNotExist: (value: string): BitgetApiError => bad("40034", `Parameter ${value} does not exist`),
  paramInvalid: (name: string): BitgetApiError => bad("40808", `Parameter verification exception ${name}`),
  scale: (name: string, value: string, scale: number): BitgetApiError =>
    bad("40808", `Parameter verification exception ${name} checkBDScale error value=${value} checkScale=${scale}`),
  /** ccxt maps no class to it; its message carries "Duplicate clientOid", which Bastion reads as "an earlier attempt landed". */
  duplicateClientOid: (): BitgetApiError => bad("40786", "Duplicate clientOid"),
  orderNotExist: (): BitgetApiError => bad("43001", "The order does not exist"),
  /** ccxt maps it to InvalidOrder (not OrderNotFound). */
  planNotExist: (): BitgetApiError => bad("43025", "Plan order does not exist"),
  qtyBelowMin: (): BitgetApiError => bad("43006", "The order quantity is less than the minimum transaction quantity"),
  qtyAboveMax: (): BitgetApiError => bad("43007", "The order quantity is greater than the maximum transaction quantity"),
  insufficientBalance: (): BitgetApiError => bad("43012", "Insufficient balance"),
  belowMinAmount: (min: string, quote: string): BitgetApiError => bad("45110", `less than the minimum amount ${min} ${quote}`),
  noPrice: (): BitgetApiError => bad("40808", "Parameter verification exception the market has no price yet"),
  symbolOffline: (): BitgetApiError => new BitgetApiError(400, "43115", "The current trading pair is opening soon, please refer to the official announcement"),
} as const;
