/** The orders module: model, validation, state machine, triggers and order lists. */
export * from "./types";
export * from "./validation";
export * from "./fsm";
export * from "./triggers";
export * from "./lists";
