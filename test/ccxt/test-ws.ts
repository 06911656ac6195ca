/**
 * Test support: a WebSocket server on 127.0.0.1 (a free port) for ccxt pro's offline tests.
 * `ws` is ccxt's dependency and ships no types (@types/ws is not installed): the subset used here.
 */
export interface WebSocket {
  on(event: "close", listener: () => void): void;
  on(event: "message", listener: (data: Buffer) => void): void;
  send(data: string): void;
  terminate(): void;
}

export interface WebSocketServer {
  on(event: "connection", listener: (socket: WebSocket, request: { url?: string }) => void): void;
  once(event: "listening", listener: () => void): void;
  address(): { port: number } | string;
  readonly clients: Set<WebSocket>;
  close(callback: () => void): void;
}

interface WsModule {
  WebSocketServer: new (options: { host: string; port: number }) => WebSocketServer;
}

const wsModuleName = "ws";

/** A listening server on 127.0.0.1 and a free port. */
export async function listenWs(): Promise<WebSocketServer> {
  const { WebSocketServer } = (await import(wsModuleName)) as WsModule;
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  return wss;
}

/** ws://127.0.0.1:<port><path> of a listening server. */
export function wsUrl(wss: WebSocketServer, path: string): string {
  const address = wss.address();
  if (typeof address === "string") throw new Error("unexpected address");
  return `ws://127.0.0.1:${address.port}${path}`;
}

/** Drops every connection (no closing handshake) and stops listening. */
export async function closeWs(wss: WebSocketServer): Promise<void> {
  for (const socket of wss.clients) socket.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}
