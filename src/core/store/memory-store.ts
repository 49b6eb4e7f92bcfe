import { normalizeAddress, type DeliveryLogEntry, type Store, type Suppression } from './store.js';

export class MemoryStore implements Store {
  private readonly suppressions = new Map<string, Suppression>();
  private readonly deliveries: DeliveryLogEntry[] = [];

  addSuppression(s: Suppression): void {
    const address = normalizeAddress(s.address);
    this.suppressions.set(address, { ...s, address });
  }
  getSuppression(address: string): Suppression | undefined {
    return this.suppressions.get(normalizeAddress(address));
  }
  removeSuppression(address: string): boolean {
    return this.suppressions.delete(normalizeAddress(address));
  }
  listSuppressions(): Suppression[] {
    return [...this.suppressions.values()].sort((a, b) => a.createdAt - b.createdAt || a.address.localeCompare(b.address));
  }
  logDelivery(e: DeliveryLogEntry): number {
    const id = this.deliveries.length + 1;
    this.deliveries.push({ ...e, recipient: normalizeAddress(e.recipient), id });
    return id;
  }
  listDeliveries(filter: { recipient?: string; since?: number } = {}): DeliveryLogEntry[] {
    const r = filter.recipient === undefined ? undefined : normalizeAddress(filter.recipient);
    return this.deliveries.filter((d) => (r === undefined || d.recipient === r) && (filter.since === undefined || d.at >= filter.since));
  }
  close(): void {}
}
