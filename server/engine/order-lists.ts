/**
 * Order lists through the engine: OCO (two alternatives, one executing cancels the other), OTO (a primary, then a
 * secondary sent once the primary has filled) and brackets (an entry, then a stop-loss and a take-profit as an OCO,
 * sent when the entry fills, sized to what filled and grown with later fills by amend).
 *
 * Native lists (OCO/OTO as one venue request where the venue holds them) are sent by order-lists-native.ts.
 * A bracket's exits are sent and grown by order-lists-bracket.ts; the list's shape and state are in order-lists-state.ts.
 * Elsewhere the list is emulated by the engine: its legs are
 * ordinary orders that each pass the risk gate, linked by `listId` and a `listRole` tag; this room reacts to their
 * changes (ledger.settleOrder calls it once a change committed). A trigger leg with an alternative (a bracket's stop, an OCO's stop) is held by the engine even
 * where the venue could hold it: on spot the venue reserves the coins for each resting sell, so a resting stop beside a
 * resting take-profit would be refused for want of balance (what a venue's native OCO list avoids). What the room promises:
 * - one leg executing (any fill) cancels its alternatives, and an emulated leg whose trigger fires goes to the venue
 *   only once its alternatives are confirmed gone (`mayRelease`), so two alternatives are never both live by our doing;
 * - cancel of the list cancels every leg, and a halt sends nothing more (the emergency stop cancels the legs);
 * - the list and its legs' ids are stored before any leg is sent, so a restart goes on reacting where it stopped.
 * Called only from inside the engine's queue.
 */
import { roundQty } from "../core/instrument";
import { D, type Decimal, isPositive } from "../core/money";
import { isTerminal, type ContingencyType, type Order } from "../core/orders";
import type { OrderListRow } from "../db/store";
import type { ManualOrderLink } from "./intake";
import type { Actor, CommandResult, ManualOrderRequest, OrderRecord } from "./types";
import { done, fail, type EngineContext } from "./context";
import { BracketExits } from "./order-lists-bracket";
import { ALTERNATIVES, inVenueList, NativeLists, siblingLeg } from "./order-lists-native";

export { ORDER_LIST_KINDS } from "./order-lists-state";
export type {
  BracketLegRequest,
  ListLeg,
  ListLegRole,
  ListLegView,
  OrderListKind,
  OrderListState,
  OrderListStatus,
  OrderListView,
  PlaceListRequest,
} from "./order-lists-state";
import type { BracketLegRequest, ListLeg, ListLegRole, OrderListState, OrderListStatus, OrderListView, PlaceListRequest } from "./order-lists-state";

/** Who keeps a stored list's contingency (lists stored before `execution` say it only in `mode`). */
function executionOf(list: OrderListState): OrderListState["execution"] {
  return list.execution ?? (list.mode === "NATIVE" ? "native" : "emulated");
}

export class OrderLists {
  private readonly lists = new Map<string, OrderListState>();

  /** The native lists (one venue request per list), lent this room's bookkeeping of a list. */
  private readonly native: NativeLists;
  /** A bracket's exits (sent and grown as its entry fills). */
  private readonly brackets: BracketExits;

  constructor(private readonly cx: EngineContext) {
    this.native = new NativeLists(cx, {
      working: (listId) => this.lists.get(listId),
      save: (list) => this.save(list),
      settle: (list) => this.settle(list),
      endList: (list, reason, status) => this.endList(list, reason, status),
      noteLeg: (list, leg, result) => this.noteLeg(list, leg, result),
      orderOf: (clientOrderId) => this.orderOf(clientOrderId),
      linkOf: (list, leg, placedSibling, native) => this.linkOf(list, leg, placedSibling, native),
      bracketLegSpec: (list, leg, quantity, positionId) => this.brackets.bracketLegSpec(list, leg, quantity, positionId),
    });
    this.brackets = new BracketExits(cx, {
      save: (list) => this.save(list),
      noteLeg: (list, leg, result) => this.noteLeg(list, leg, result),
      orderOf: (clientOrderId) => this.orderOf(clientOrderId),
      sendNativeBracketPair: (list, pair, quantity, positionId) => this.native.sendNativeBracketPair(list, pair, quantity, positionId),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Placing and canceling lists

  placeList(request: PlaceListRequest, actor: Actor): CommandResult {
    const stopped = this.cx.engine.refusalWhenStopped();
    if (stopped) return stopped;
    const listId = this.cx.ids.next("lst");
    const now = this.cx.clock.now();
    const leg = (role: ListLegRole, legRequest: ManualOrderRequest): ListLeg => ({
      role,
      request: legRequest,
      clientOrderId: this.cx.ids.next("bst"),
      sent: false,
      replaced: [],
      note: null,
    });
    let legs: ListLeg[];
    switch (request.kind) {
      case "OCO":
        legs = [leg("first", request.first), leg("second", request.second)];
        break;
      case "OTO":
        legs = [leg("primary", request.primary), leg("secondary", request.secondary)];
        break;
      case "BRACKET": {
        const exitSide = request.entry.side === "BUY" ? "SELL" : "BUY";
        const exit = (r: BracketLegRequest): ManualOrderRequest => ({ ...r, symbol: request.entry.symbol, side: exitSide, quantity: request.entry.quantity });
        legs = [leg("entry", request.entry), leg("stop_loss", exit(request.stopLoss)), leg("take_profit", exit(request.takeProfit))];
        break;
      }
    }
    const symbol = legs[0]!.request.symbol;
    const other = legs.find((l) => l.request.symbol !== symbol);
    if (other) return fail("LIST_SYMBOL", `Every order of a list trades one symbol: ${other.request.symbol} is not ${symbol}.`);
    if (request.kind === "BRACKET") {
      const refused = this.brackets.checkBracket(listId, legs);
      if (refused) return refused;
    }
    const list: OrderListState = {
      listId,
      kind: request.kind,
      symbol,
      status: "WORKING",
      execution: "emulated",
      mode: "EMULATED",
      legs,
      createdAt: now,
      updatedAt: now,
      createdBy: actor.username,
      exiting: false,
      releasing: null,
      canceled: false,
      endReason: null,
    };
    // The list and its legs' ids are stored before any leg is sent (a restart finds what they belong to).
    this.lists.set(listId, list);
    this.cx.durably(() => this.persist(list), `order list ${listId} journaled before its first order is sent`);

    const native = this.native.placeNative(list, actor);
    if (native) return native;
    const immediate = request.kind === "OCO" ? legs : [legs[0]!];
    const placed: string[] = [];
    for (const l of immediate) {
      const sibling = siblingLeg(list, l);
      // Marked sent before the venue answers: a fill reported at once must find its leg sent.
      l.sent = true;
      const result = this.cx.intake.onManualOrder(l.request, actor, this.linkOf(list, l, sibling && placed.includes(sibling.clientOrderId) ? sibling : null));
      if (!result.ok) {
        if (!this.orderOf(l.clientOrderId)) l.sent = false;
        for (const id of placed) this.cancelIfLive(id);
        this.endList(list, `${l.role} refused: ${result.error.code}: ${result.error.message}`, "CANCELED");
        const undone = placed.length > 0 ? ` The other leg (${placed.join(", ")}) was canceled.` : "";
        return fail(result.error.code, `${request.kind} list ${listId}: the ${l.role.replace("_", "-")} order was refused: ${result.error.message}${undone}`, {
          listId,
          ...result.data,
        });
      }
      placed.push(l.clientOrderId);
      this.save(list);
    }
    this.settle(list);
    const waiting =
      request.kind === "OCO"
        ? ""
        : request.kind === "OTO"
          ? " The secondary is sent once the primary fills."
          : " Its stop-loss and take-profit are sent as the entry fills.";
    return done(`${request.kind} list ${listId} placed (${placed.join(", ")}).${waiting}`, {
      listId,
      clientOrderIds: legs.map((l) => l.clientOrderId),
      roles: legs.map((l) => l.role),
      execution: list.execution,
    });
  }

  cancelList(listId: string): CommandResult {
    const list = this.lists.get(listId);
    if (!list || list.status !== "WORKING") return fail("NOT_FOUND", `Order list ${listId} is not working.`);
    list.canceled = true;
    this.save(list);
    let requested = 0;
    // A native OCO pair is ended by canceling one of its legs (the venue cancels the list); other legs one by one.
    let pairCanceled = false;
    for (const l of list.legs) {
      const inNativePair = inVenueList(list, l.role);
      if (inNativePair && pairCanceled) continue;
      if (l.sent && this.cancelIfLive(l.clientOrderId)) {
        requested++;
        if (inNativePair) pairCanceled = true;
      }
    }
    this.settle(list);
    const after = this.lists.get(listId)?.status ?? list.status;
    return done(`Cancel of list ${listId} requested (${requested} order(s)); the list is ${after.toLowerCase()}.`, { listId, status: after });
  }

  // ---------------------------------------------------------------------------------------------
  // Reactions

  /** After one of a list's orders changed (ledger.settleOrder, after the change committed). */
  onOrderChanged(record: OrderRecord): void {
    const order = record.order;
    const list = order.listId === null ? undefined : this.lists.get(order.listId);
    if (!list || list.status !== "WORKING") return;
    const leg = list.legs.find((l) => l.clientOrderId === order.clientOrderId);
    if (!leg) return; // an order this leg replaced
    const filled = isPositive(order.filledQty);
    switch (leg.role) {
      case "entry":
        if (filled) this.brackets.growBracketLegs(list, order);
        break;
      case "primary":
        if (order.status === "FILLED") this.sendSecondary(list, order.quantity);
        else if (isTerminal(order) && filled) this.sendSecondary(list, order.filledQty);
        break;
      case "first":
      case "second":
        // OCO: executing, or ending without executing, cancels the alternative (as venues' native OCO lists do) —
        // except the leg waiting for this one's cancel to go out itself.
        if (filled || isTerminal(order)) {
          if (filled) list.exiting = true;
          // A native list's venue ends the other leg itself; its end arrives as that leg's own event.
          if (list.execution !== "native") this.cancelAlternatives(list, leg);
        }
        break;
      case "stop_loss":
      case "take_profit":
        // A bracket exit executing cancels the other exit and what the entry has not filled yet; one that ends
        // without a fill leaves the other in place (the position keeps what protection it has).
        if (filled) {
          list.exiting = true;
          if (list.execution !== "native") this.cancelAlternatives(list, leg);
          const entry = list.legs[0]!;
          if (entry.sent) this.cancelIfLive(entry.clientOrderId);
        }
        break;
      case "secondary":
        break;
    }
    this.settle(list);
  }

  /**
   * An emulated leg's trigger fired (watchers.release): it goes out only once its alternatives are gone. Their cancels
   * are requested here; false while any is still live (the trigger is looked at again on the next price).
   */
  mayRelease(record: OrderRecord): boolean {
    const order = record.order;
    const list = order.listId === null ? undefined : this.lists.get(order.listId);
    if (!list || list.status !== "WORKING") return true;
    const leg = list.legs.find((l) => l.clientOrderId === order.clientOrderId);
    if (!leg || !ALTERNATIVES[list.kind].includes(leg.role)) return true;
    list.exiting = true;
    list.releasing = order.clientOrderId;
    this.cancelAlternatives(list, leg);
    if (list.kind === "BRACKET" && list.legs[0]!.sent) this.cancelIfLive(list.legs[0]!.clientOrderId);
    const waiting = this.liveAlternatives(list, leg);
    if (waiting.length === 0) list.releasing = null;
    this.save(list);
    return waiting.length === 0;
  }

  /** A cancel-replace amend moved a leg to a new order (null: no replacement). */
  onReplaced(oldClientOrderId: string, newClientOrderId: string | null): void {
    for (const list of this.lists.values()) {
      const leg = list.legs.find((l) => l.clientOrderId === oldClientOrderId);
      if (!leg) continue;
      if (newClientOrderId !== null) {
        leg.replaced.push(oldClientOrderId);
        leg.clientOrderId = newClientOrderId;
        this.save(list);
      } else {
        this.settle(list);
      }
      return;
    }
  }

  /** Whether an order is a leg of a working native order list (an OCO pair, or an OTO's orders). */
  isNativeLeg(clientOrderId: string): boolean {
    return this.native.isNativeLeg(clientOrderId);
  }

  /** Whether two orders are the two legs of one native OCO list (the venue cancels one when the other executes). */
  nativeSiblings(clientOrderId: string, otherClientOrderId: string): boolean {
    return this.native.nativeSiblings(clientOrderId, otherClientOrderId);
  }

  /** The alternative of a leg (its OCO sibling), when it has been sent: the gate does not count it against this one. */
  siblingOf(clientOrderId: string): string | null {
    for (const list of this.lists.values()) {
      const leg = list.legs.find((l) => l.clientOrderId === clientOrderId);
      if (!leg) continue;
      const sibling = siblingLeg(list, leg);
      return sibling?.sent ? sibling.clientOrderId : null;
    }
    return null;
  }

  /** The alternative still live (the entry's remainder is canceled too, but not waited for: it adds, it does not sell twice). */
  private liveAlternatives(list: OrderListState, leg: ListLeg): string[] {
    const sibling = siblingLeg(list, leg);
    const ids = sibling?.sent ? [sibling.clientOrderId] : [];
    return ids.filter((id) => {
      const o = this.orderOf(id);
      return o !== null && !isTerminal(o);
    });
  }

  private cancelAlternatives(list: OrderListState, leg: ListLeg): void {
    const sibling = siblingLeg(list, leg);
    if (!sibling?.sent || sibling.clientOrderId === list.releasing) return;
    this.cancelIfLive(sibling.clientOrderId);
  }

  /** Requests the cancel of an order still open (not already being canceled); true when one was requested. */
  private cancelIfLive(clientOrderId: string): boolean {
    const record = this.cx.books.orders.get(clientOrderId);
    if (!record || isTerminal(record.order) || record.order.status === "PENDING_CANCEL") return false;
    this.cx.ledger.requestCancel(record);
    return true;
  }

  /** OTO: the secondary goes out once the primary has filled (all of it, or part of it when the primary ended early, pro rata). */
  private sendSecondary(list: OrderListState, primaryFilled: Decimal): void {
    const secondary = list.legs[1]!;
    if (secondary.sent || list.canceled || this.cx.tradingState === "HALTED") return;
    const primary = list.legs[0]!;
    const asked = D(secondary.request.quantity);
    const primaryQty = D(primary.request.quantity);
    let quantity = asked;
    if (primaryFilled.lessThan(primaryQty)) {
      const instrument = this.cx.books.instruments.get(list.symbol);
      const share = asked.times(primaryFilled).dividedBy(primaryQty);
      quantity = instrument ? roundQty(instrument, share, "down") : share;
    }
    if (!isPositive(quantity)) {
      secondary.note = "the primary filled too little for any secondary";
      this.save(list);
      return;
    }
    const actor: Actor = { username: list.createdBy, role: "trader" };
    secondary.sent = true;
    this.save(list);
    const result = this.cx.intake.onManualOrder({ ...secondary.request, quantity: quantity.toString() }, actor, this.linkOf(list, secondary, null));
    if (!result.ok && !this.orderOf(secondary.clientOrderId)) secondary.sent = false;
    this.noteLeg(list, secondary, result);
  }

  private linkOf(list: OrderListState, leg: ListLeg, placedSibling: ListLeg | null, native = false): ManualOrderLink {
    const others = list.legs.filter((l) => l !== leg).map((l) => l.clientOrderId);
    const contingency: ContingencyType = list.kind === "OCO" ? "OCO" : leg.role === "secondary" ? "NONE" : "OTO";
    return {
      clientOrderId: leg.clientOrderId,
      listId: list.listId,
      contingency,
      linkedClientOrderIds: leg.role === "secondary" ? [] : others,
      tags: { listRole: leg.role },
      ...(placedSibling && { exceptClientOrderId: placedSibling.clientOrderId }),
      ...(!native && ALTERNATIVES[list.kind].includes(leg.role) && { emulate: true }),
    };
  }

  private noteLeg(list: OrderListState, leg: ListLeg, result: CommandResult): void {
    const note = result.ok ? null : `${result.error.code}: ${result.error.message}`;
    if (note === leg.note) return;
    leg.note = note;
    this.save(list);
    if (note) {
      this.cx.log("warn", `order list ${list.listId}: ${leg.role} not sent or grown: ${note}`);
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `Order list ${list.listId}: its ${leg.role.replace("_", "-")} was refused: ${result.ok ? "" : result.error.message}`,
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The list's own state

  /** Ends the list once nothing is live and nothing more can be sent. */
  private settle(list: OrderListState): void {
    if (list.status !== "WORKING") return;
    let live = false;
    let executed = false;
    for (const leg of list.legs) {
      if (!leg.sent) continue;
      const order = this.orderOf(leg.clientOrderId);
      if (order && !isTerminal(order)) live = true;
      if (order && isPositive(order.filledQty)) executed = true;
      for (const id of leg.replaced) if (isPositive(this.orderOf(id)?.filledQty ?? D(0))) executed = true;
    }
    if (live) return;
    // A parent not sent yet cannot be: the first leg always goes out with the list. Unsent children wait for a parent that is live.
    const parent = list.legs[0]!;
    const parentOrder = this.orderOf(parent.clientOrderId);
    const parentDone = !parent.sent || !parentOrder || isTerminal(parentOrder);
    const waiting = list.kind !== "OCO" && !parentDone;
    if (waiting) return;
    const status: OrderListStatus = list.canceled || !executed ? "CANCELED" : "DONE";
    const reason = list.canceled
      ? "canceled by a person"
      : this.cx.tradingState === "HALTED"
        ? "ended by the halt"
        : executed
          ? "executed"
          : "ended without executing";
    this.endList(list, reason, status);
  }

  private endList(list: OrderListState, reason: string, status: OrderListStatus): void {
    list.status = status;
    list.endReason = reason;
    list.releasing = null;
    this.save(list);
    this.lists.delete(list.listId);
  }

  private orderOf(clientOrderId: string): Order | null {
    return this.cx.books.orders.get(clientOrderId)?.order ?? this.cx.store.getOrder(clientOrderId)?.order ?? null;
  }

  private save(list: OrderListState): void {
    list.updatedAt = this.cx.clock.now();
    this.cx.durably(() => this.persist(list));
  }

  private persist(list: OrderListState): void {
    const row: OrderListRow = {
      listId: list.listId,
      kind: list.kind,
      symbol: list.symbol,
      status: list.status,
      data: list,
      createdAt: list.createdAt,
      updatedAt: list.updatedAt,
    };
    this.cx.store.saveOrderList(row);
  }

  /** From the books (start, and after a store failure): the working lists. */
  restore(): void {
    this.lists.clear();
    for (const row of this.cx.store.loadOrderLists({ onlyOpen: true })) {
      const list = row.data as OrderListState;
      this.lists.set(list.listId, { ...list, execution: executionOf(list), legs: list.legs.map((l) => ({ ...l, replaced: [...l.replaced] })) });
    }
  }

  /** The lists with their legs' orders (working ones, or every stored one with `all`), newest first. */
  view(options: { all?: boolean; limit?: number } = {}): OrderListView[] {
    const rows = (options.all ? this.cx.store.loadOrderLists({ onlyOpen: false }).map((r) => r.data as OrderListState) : [...this.lists.values()]).map(
      (list) => ({ ...list, execution: executionOf(list) }),
    );
    const views = rows
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, options.limit ?? 200)
      .map((list) => ({
        ...list,
        legs: list.legs.map((l) => ({
          role: l.role,
          clientOrderId: l.clientOrderId,
          sent: l.sent,
          order: l.sent ? this.orderOf(l.clientOrderId) : null,
          replaced: [...l.replaced],
          note: l.note,
        })),
      }));
    return views;
  }
}
