/**
 * Reply texts grouped into clusters: addresses, IPs, queue and message ids and numbers that differ
 * from one recipient to the next are masked, so "550 5.1.1 <bob@x>: user unknown" and
 * "550 5.1.1 <ann@y>: user unknown" count as one reply; each cluster is classified once with the
 * classifier `send` uses (a deferral means the same thing everywhere).
 */
import { classify } from '../delivery/classify.js';
import type { Classification, SmtpStage } from '../delivery/classification.js';

const ADDRESS = /<?[^\s<>@;,()"']+@[^\s<>;,()"']+>?/g;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const IPV6 = /\[?(?:IPv6:)?(?=[0-9a-fA-F:]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{3,39}(?:%\w+)?\]?(?::\d+)?/g;
// Tokens with a digit, 8+ characters: queue ids, message ids, session ids (not 5.7.1, not words).
const TOKEN_ID = /\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}\b/g;
// A multi-line reply as Postfix joins it: "550-5.1.1 first line 550-5.1.1 second line".
const CONTINUATION = / [245]\d\d[- ](?:[245]\.\d{1,3}\.\d{1,3} )?/g;

export function normalizeReply(text: string): string {
  const first = /^([245]\d\d)[- ]((?:[245]\.\d{1,3}\.\d{1,3} )?)/.exec(text);
  let t = first ? `${first[1]} ${first[2]}${text.slice(first[0].length).replace(CONTINUATION, ' ')}` : text;
  // An address needs an "@", an IPv6 address two ":": the RegExps that cannot match are not run.
  if (t.includes('@')) t = t.replace(ADDRESS, '<addr>');
  t = t.replace(IPV4, '<ip>');
  const colon = t.indexOf(':');
  if (colon >= 0 && t.indexOf(':', colon + 1) >= 0) t = t.replace(IPV6, (m) => (m.replace(/[\[\]]/g, '').split(':').length >= 3 ? '<ip>' : m));
  t = t
    .replace(TOKEN_ID, '<id>')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}

/** The sending IP a blocklist reply names ("Client host [203.0.113.5] blocked using …"), not the receiver's own. */
export function ipInReply(text: string, notThis?: string): string | undefined {
  for (const m of text.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b|(?<=\[)[0-9a-fA-F:]*:[0-9a-fA-F:]+(?=\])/g)) {
    if (m[0] !== notThis) return m[0];
  }
  return undefined;
}

export interface ClassifyReplyInput {
  text: string;
  code?: number;
  dsn?: string;
  stage?: SmtpStage;
  networkError?: string;
}

/** classify() with a per-run cache keyed by the normalised text (a million deferrals, a handful of texts). */
export class ReplyClassifier {
  private readonly cache = new Map<string, Classification>();
  classify(norm: string, input: ClassifyReplyInput): Classification {
    const key = `${input.code ?? ''}|${input.dsn ?? ''}|${input.stage ?? ''}|${input.networkError === undefined ? '' : 'n'}|${norm}`;
    let c = this.cache.get(key);
    if (c === undefined) {
      c = classify({
        text: input.text,
        ...(input.code !== undefined ? { code: input.code } : {}),
        ...(input.dsn !== undefined ? { enhanced: input.dsn } : {}),
        ...(input.stage !== undefined ? { stage: input.stage } : {}),
        ...(input.networkError !== undefined ? { networkError: input.networkError } : {}),
      });
      this.cache.set(key, c);
    }
    return c;
  }
}
