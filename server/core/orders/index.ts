/** The orders module: model, venue events, validation, state machine, triggers and order lists. */
export * from "./types";
export * from "./events";
export * from "./validation";
export * from "./fsm";
export * from "./triggers";
export * from "./lists";
