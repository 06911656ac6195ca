/**
 * The command dispatch: each EngineCommand to the room that does its work, wrapped in its audit entry (`cx.audited`;
 * the settings commands write their own in one transaction with their row). Called only from inside the engine's
 * queue (Engine.handleGuarded), after the stop latch and with store failures handled there.
 */
import { D } from "../core/money";
import type { CommandResult, EngineCommand } from "./types";
import type { EngineContext } from "./context";

/** Runs one command in its room; synchronous, like every handler. */
export function dispatchCommand(cx: EngineContext, command: EngineCommand): CommandResult {
  switch (command.kind) {
    case "signal": {
      const { signal, source, actor } = command;
      if (!actor) return cx.intake.onSignal(signal, source);
      return cx.audited(actor, "submit_signal", signal.id, null, signal, () => cx.intake.onSignal(signal, source));
    }
    case "manualOrder":
      return cx.audited(command.actor, "manual_order", command.order.symbol, command.reason, command.order, () =>
        cx.intake.onManualOrder(command.order, command.actor),
      );
    case "closePosition":
      return cx.audited(command.actor, "close_position", command.positionId, command.reason, { fraction: command.fraction, quantity: command.quantity }, () =>
        cx.watchers.closePosition(command.positionId, { fraction: command.fraction, quantity: command.quantity }, "manual"),
      );
    case "closeAll":
      return cx.audited(command.actor, "close_all", null, command.reason, {}, () =>
        cx.watchers.closeAll(command.actor.role === "system" && command.exitReason ? command.exitReason : "manual"),
      );
    case "cancelOrder":
      return cx.audited(command.actor, "cancel_order", command.clientOrderId, command.reason, {}, () => cx.ledger.cancelOrder(command.clientOrderId));
    case "cancelAll": {
      const { venue, symbol } = command;
      if (venue !== undefined)
        return cx.audited(command.actor, "cancel_all", venue, command.reason, { symbol, venue }, () => cx.venueRoom.cancelAllAt(venue, symbol));
      return cx.audited(command.actor, "cancel_all", symbol ?? null, command.reason, {}, () => cx.ledger.cancelAllOrders(symbol));
    }
    case "pause": {
      const venue = command.venue;
      if (venue !== undefined)
        return cx.audited(command.actor, "pause", venue, command.reason, { venue }, () => cx.venueRoom.pauseVenue(venue, command.actor, command.reason));
      return cx.audited(command.actor, "pause", null, command.reason, {}, () => cx.emergency.pause(command.actor, command.reason));
    }
    case "resume": {
      const venue = command.venue;
      if (venue !== undefined)
        return cx.audited(command.actor, "resume", venue, command.reason, { venue }, () => cx.venueRoom.resumeVenue(venue, command.actor, command.reason));
      return cx.audited(command.actor, "resume", null, command.reason, {}, () => cx.emergency.resume(command.actor, command.reason));
    }
    case "emergencyStop": {
      const venue = command.venue;
      if (venue !== undefined)
        return cx.audited(command.actor, "halt_venue", venue, command.reason, { flatten: command.flatten, venue }, () =>
          cx.venueRoom.haltVenue(venue, command.flatten, command.actor, command.reason),
        );
      return cx.audited(command.actor, "emergency_stop", null, command.reason, { flatten: command.flatten }, () =>
        cx.emergency.emergencyStop(command.flatten, command.actor, command.reason),
      );
    }
    case "tripBreaker":
      return cx.audited(command.actor, "trip_breaker", null, command.reason, {}, () => cx.emergency.tripBreakerByHand(command.actor, command.reason));
    case "resetBreaker":
      return cx.audited(command.actor, "reset_breaker", null, command.reason, { force: command.force ?? false }, () =>
        cx.emergency.resetBreaker(command.actor, command.reason, command.force ?? false),
      );
    case "setExits":
      return cx.audited(command.actor, "set_exits", command.positionId, command.reason, { stopLoss: command.stopLoss, takeProfit: command.takeProfit }, () =>
        cx.watchers.setExits(command.positionId, command.stopLoss, command.takeProfit),
      );
    // Settings: each writes its row and its audit entry in one transaction (auditedChange), so no audited() around them.
    case "setSymbolSettings":
      return cx.gate.updateSymbolSettings(command.symbol, command.settings, command.actor);
    case "setRiskLimits":
      return cx.gate.updateRiskLimits(command.limits, command.actor);
    case "setBreakerConfig":
      return cx.emergency.updateBreakerConfig(command.config, command.actor);
    case "placeOrderList":
      return cx.audited(command.actor, "place_order_list", command.list.kind, command.reason, command.list, () =>
        cx.lists.placeList(command.list, command.actor),
      );
    case "cancelOrderList":
      return cx.audited(command.actor, "cancel_order_list", command.listId, command.reason, {}, () => cx.lists.cancelList(command.listId));
    case "modifyOrder":
      return cx.audited(command.actor, "modify_order", command.clientOrderId, command.reason, { quantity: command.quantity, price: command.price }, () =>
        cx.amends.amend(
          command.clientOrderId,
          { ...(command.quantity !== undefined && { quantity: D(command.quantity) }), ...(command.price !== undefined && { price: D(command.price) }) },
          command.reason ?? "amended by hand",
        ),
      );
    case "startParent":
      return cx.audited(command.actor, "start_parent_order", command.parent.symbol, command.reason, command.parent, () =>
        cx.algos.startManual(command.parent, command.actor),
      );
    case "pauseParent":
      return cx.audited(command.actor, "pause_parent_order", command.parentId, command.reason, {}, () => cx.algos.pause(command.parentId, command.reason));
    case "resumeParent":
      return cx.audited(command.actor, "resume_parent_order", command.parentId, command.reason, {}, () => cx.algos.resume(command.parentId));
    case "cancelParent":
      return cx.audited(command.actor, "cancel_parent_order", command.parentId, command.reason, {}, () => cx.algos.cancel(command.parentId, command.reason));
    case "liftProtectionLock":
      return cx.audited(command.actor, "lift_protection_lock", command.lockId, command.reason, {}, () =>
        cx.protections.lift(command.lockId, command.actor, command.reason),
      );
    case "setArbitragePair":
      return cx.audited(command.actor, command.enabled ? "enable_arbitrage_pair" : "disable_arbitrage_pair", command.pairId, command.reason, {}, () =>
        cx.arbitrage.setEnabled(command.pairId, command.enabled, command.actor, command.reason),
      );
  }
}
