/**
 * Persistent state for commands that act (send: suppression list, delivery log).
 * Two implementations: SQLite (default, embedded) and in-memory (tests, --store :memory:).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type SuppressionReason = 'hard-bounce' | 'complaint' | 'unsubscribe' | 'manual';

export interface Suppression {
  address: string;
  reason: SuppressionReason;
  detail?: string;
  /** ms since epoch */
  createdAt: number;
}

export interface DeliveryLogEntry {
  id?: number;
  messageId: string;
  recipient: string;
  /** "delivered", "deferred", "bounced", … */
  status: string;
  replyCode?: number;
  enhancedCode?: string;
  response?: string;
  mx?: string;
  /** ms since epoch */
  at: number;
}

export interface Store {
  addSuppression(s: Suppression): void;
  getSuppression(address: string): Suppression | undefined;
  removeSuppression(address: string): boolean;
  listSuppressions(): Suppression[];
  logDelivery(e: DeliveryLogEntry): number;
  listDeliveries(filter?: { recipient?: string; since?: number }): DeliveryLogEntry[];
  close(): void;
}

/** Addresses compare case-insensitively in the domain and (pragmatically) in the local part. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** $MAILPACE_STORE, else $XDG_STATE_HOME/mailpace-cli/store.sqlite (default ~/.local/state). */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAILPACE_STORE) return env.MAILPACE_STORE;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'mailpace-cli', 'store.sqlite');
}
