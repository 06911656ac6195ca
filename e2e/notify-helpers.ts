/**
 * The env-configured webhook of the e2e server: BASTION_NOTIFY_WEBHOOK_URL points at a port beside the server's, where
 * the notifications spec starts its own node:http receiver (the server starts before any spec runs).
 */
export const E2E_WEBHOOK_PORT = Number(process.env.E2E_WEBHOOK_PORT ?? Number(process.env.E2E_PORT ?? 3199) + 1);
export const E2E_WEBHOOK_URL = `http://127.0.0.1:${E2E_WEBHOOK_PORT}/bastion-hook`;
export const E2E_WEBHOOK_SECRET = "e2e-notify-secret-amber-lighthouse";
