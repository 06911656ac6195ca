/**
 * An order list's shape and stored state (kinds, leg roles, the request that places one, the state journaled with each
 * change, the view people read): shared by the emulated room (order-lists.ts) and the native one (order-lists-native.ts).
 */
import type { Order } from "../core/orders";
import type { ManualOrderRequest } from "./types";

export const ORDER_LIST_KINDS = ["OCO", "OTO", "BRACKET"] as const;
export type OrderListKind = (typeof ORDER_LIST_KINDS)[number];
export type ListLegRole = "first" | "second" | "primary" | "secondary" | "entry" | "stop_loss" | "take_profit";
export type OrderListStatus = "WORKING" | "DONE" | "CANCELED";

/** A bracket's exit leg: the side is the entry's opposite and the quantity follows the entry's fills. */
export type BracketLegRequest = Omit<ManualOrderRequest, "symbol" | "side" | "quantity" | "reduceOnly">;

export type PlaceListRequest =
  | { kind: "OCO"; first: ManualOrderRequest; second: ManualOrderRequest }
  | { kind: "OTO"; primary: ManualOrderRequest; secondary: ManualOrderRequest }
  | { kind: "BRACKET"; entry: ManualOrderRequest; stopLoss: BracketLegRequest; takeProfit: BracketLegRequest };

export interface ListLeg {
  role: ListLegRole;
  /** As asked (a bracket leg's side and quantity filled in from the entry). */
  request: ManualOrderRequest;
  /** The leg's current order (assigned before it is sent; a cancel-replace amend moves it to the replacement). */
  clientOrderId: string;
  sent: boolean;
  /** Earlier orders of this leg, replaced by an amend. */
  replaced: string[];
  /** Why the leg could not be sent or grown, for people. */
  note: string | null;
}

export interface OrderListState {
  listId: string;
  kind: OrderListKind;
  symbol: string;
  status: OrderListStatus;
  /** Who keeps the contingency: the venue (a native order list) or the engine. The books say which. */
  execution: "native" | "emulated";
  /** The same in the older words (kept for stored lists and readers of `mode`). */
  mode: "EMULATED" | "NATIVE";
  legs: ListLeg[];
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  /** A leg executed or is being released: the others are being canceled, nothing more is sent. */
  exiting: boolean;
  /** The emulated leg waiting for its alternatives' cancels before it goes to the venue. */
  releasing: string | null;
  /** A person canceled the list. */
  canceled: boolean;
  endReason: string | null;
}

/** A leg's order as the books (or, once ended, the store) have it. */
export interface ListLegView {
  role: ListLegRole;
  clientOrderId: string;
  sent: boolean;
  order: Order | null;
  replaced: string[];
  note: string | null;
}

export interface OrderListView extends Omit<OrderListState, "legs"> {
  legs: ListLegView[];
}
