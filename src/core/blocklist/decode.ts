/**
 * Return codes → meaning. A DNSBL answers with A records in 127.0.0.0/8 (RFC 5782 §2.1); which of
 * those are listings and which are errors is per list (catalogue.ts). Errors always win: an answer
 * that contains an error code is never reported as listed.
 */
import type { CodeMeaning } from './catalogue.js';
import type { SelectedList } from './selection.js';
import { parseIPv4 } from '../net/ip-address.js';

/** Why an answer is an error; drives the notices (one per cause). */
export type ErrorCause = 'refusal' | 'error-code' | 'hijack';

export interface Decoded {
  status: 'listed' | 'clean' | 'error';
  codes: string[];
  meanings: string[];
  cause?: ErrorCause;
}

const LOOPBACK_NET = 127;

function inLoopbackNet(address: string): boolean {
  const n = parseIPv4(address);
  return n !== undefined && n >>> 24 === LOOPBACK_NET;
}

function meaningsOf(list: SelectedList, address: string): CodeMeaning[] {
  if (!inLoopbackNet(address)) {
    // RFC 5782 §2.1: return values are in 127.0.0.0/8. Anything else is a resolver that invents
    // answers for NXDOMAIN (ad or "search" pages), or a zone that no longer exists and was parked.
    return [{ kind: 'error', meaning: `answer ${address} is outside 127.0.0.0/8: the resolver rewrites NXDOMAIN (or the list's domain has lapsed); not a listing` }];
  }
  const def = list.def;
  if (!def) {
    return [{ kind: 'listed', meaning: `listed (${address}; custom list, meaning not in the catalogue)` }];
  }
  const exact = def.codes[address];
  if (exact) return [exact];
  if (def.errorPrefixes?.some((p) => address.startsWith(p))) {
    return [{ kind: 'error', meaning: `${address}: a code ${def.name} reserves for query errors; not a listing` }];
  }
  if (def.bits) {
    // Bitmask lists: only the last octet carries meaning; the middle octets are reserved (SURBL, URIBL).
    const last = parseIPv4(address)! & 255;
    const out: CodeMeaning[] = [];
    for (let bit = 1; bit <= 128; bit <<= 1) {
      if ((last & bit) === 0) continue;
      out.push(def.bits[bit] ?? { kind: 'listed', meaning: `bit ${bit} set (not documented by ${def.name})` });
    }
    if (out.length > 0) return out;
  }
  return [{ kind: 'listed', meaning: `${address}: return code not documented by ${def.name}; treated as a listing` }];
}

/** Decodes the A records of one positive answer. */
export function decodeAnswer(list: SelectedList, addresses: readonly string[]): Decoded {
  const codes = [...new Set(addresses)].sort(compareAddresses);
  const all: CodeMeaning[] = [];
  let hijack = false;
  for (const a of codes) {
    if (!inLoopbackNet(a)) hijack = true;
    all.push(...meaningsOf(list, a));
  }
  const meanings = [...new Set(all.map((m) => m.meaning))];
  const errors = all.filter((m) => m.kind === 'error');
  if (errors.length > 0 || codes.length === 0) {
    const cause: ErrorCause = hijack ? 'hijack' : errors.some((m) => m.refusal) ? 'refusal' : 'error-code';
    return { status: 'error', codes, meanings, cause };
  }
  return { status: all.some((m) => m.kind === 'listed') ? 'listed' : 'clean', codes, meanings };
}

function compareAddresses(a: string, b: string): number {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  if (x === undefined || y === undefined) return a.localeCompare(b);
  return x - y;
}
