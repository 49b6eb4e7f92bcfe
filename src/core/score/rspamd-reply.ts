/**
 * Rspamd's /checkv2 reply, validated and normalised. The protocol is documented at
 * rspamd.com/doc/developers/protocol.html: a JSON object with score, required_score, action and
 * symbols (an object keyed by symbol name, each with name, score, metric_score, optional
 * description and options). Everything we rely on is checked; extra fields are ignored.
 */

export interface ScoreSymbol {
  name: string;
  /** The points this symbol added to the message's score (after Rspamd's dynamic weighting). */
  score: number;
  description?: string;
  options: string[];
}

export interface RspamdCheck {
  score: number;
  requiredScore: number;
  action: string;
  isSkipped: boolean;
  /** Sorted by impact: largest absolute score first, then by name. */
  symbols: ScoreSymbol[];
  messageId?: string;
  /** Rspamd's own processing time, seconds. */
  timeReal?: number;
  /** Rspamd's free-form messages (smtp_message, …). */
  messages: Record<string, string>;
}

/** What is wrong with a reply that is JSON but not a /checkv2 result; undefined when it is one. */
export function checkv2Problem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the reply is not a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.error === 'string') return `Rspamd reported an error: ${b.error}`;
  if (typeof b.score !== 'number' || !Number.isFinite(b.score)) return 'no numeric "score"';
  if (typeof b.required_score !== 'number' || !Number.isFinite(b.required_score)) return 'no numeric "required_score"';
  if (typeof b.action !== 'string') return 'no "action"';
  if (b.symbols !== undefined && (typeof b.symbols !== 'object' || b.symbols === null || Array.isArray(b.symbols))) {
    return '"symbols" is not an object';
  }
  return undefined;
}

/** Largest |score| first; ties by name, so the order is stable. */
export function byImpact(a: ScoreSymbol, b: ScoreSymbol): number {
  return Math.abs(b.score) - Math.abs(a.score) || b.score - a.score || a.name.localeCompare(b.name);
}

/** Normalises a reply that checkv2Problem() accepted. */
export function normaliseCheckv2(body: unknown): RspamdCheck {
  const b = body as Record<string, any>;
  const symbols: ScoreSymbol[] = [];
  for (const [key, raw] of Object.entries((b.symbols ?? {}) as Record<string, any>)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const score = typeof raw.score === 'number' && Number.isFinite(raw.score) ? raw.score : 0;
    const options = Array.isArray(raw.options) ? raw.options.map((o: unknown) => String(o)) : [];
    symbols.push({
      name: typeof raw.name === 'string' ? raw.name : key,
      score,
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
      options,
    });
  }
  symbols.sort(byImpact);
  const messages: Record<string, string> = {};
  if (b.messages && typeof b.messages === 'object') {
    for (const [k, v] of Object.entries(b.messages)) if (typeof v === 'string') messages[k] = v;
  }
  return {
    score: b.score,
    requiredScore: b.required_score,
    action: b.action,
    isSkipped: b.is_skipped === true,
    symbols,
    ...(typeof b['message-id'] === 'string' ? { messageId: b['message-id'] } : {}),
    ...(typeof b.time_real === 'number' ? { timeReal: b.time_real } : {}),
    messages,
  };
}
