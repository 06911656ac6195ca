/** Parent orders and execution: the parent state machine, slice planners, routing, arbitrage decisions. All pure. */
export * from "./types";
export * from "./parent";
export * from "./planners";
export * from "./sizing";
export * from "./volume-profile";
export * from "./shortfall";
export * from "./serialize";
export * from "./routing";
export * from "./arbitrage";
export * from "./request";
