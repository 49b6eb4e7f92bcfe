/** JSON documents: one per run on stdout, always with schemaVersion and command. */
export const SCHEMA_VERSION = 1;

export function jsonDocument<T extends object>(command: string, body: T): { schemaVersion: 1; command: string } & T {
  return { schemaVersion: SCHEMA_VERSION, command, ...body };
}

export function toJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** One compact line per record, for --format ndjson. */
export function toNdjsonLine(doc: unknown): string {
  return `${JSON.stringify(doc)}\n`;
}
