/**
 * What the ccxt end-to-end tests of both test exchanges share: ccxt's patient timeout, servers closed after each test,
 * and the error a call that must fail raised.
 */
import { afterEach } from "vitest";

/**
 * ccxt's timeout for requests that must succeed: the server runs in this process, and on a busy machine an answer
 * can take seconds, which is slow, not a failure (the test runner's timeout is the backstop).
 */
export const PATIENT_MS = 20_000;

/** Registers an afterEach that closes every server handed to the returned function during the test. */
export function closedAfterEach<Server extends { close(): Promise<void> }>(): (server: Server) => Server {
  const open: Server[] = [];
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  return (server) => {
    open.push(server);
    return server;
  };
}

/** The error `promise` rejects with; a promise that resolves fails the test. */
export async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}
