/**
 * Turns the zonedata of the OpenSPF/RFC 7208 test suite (test/fixtures/rfc7208/rfc7208-tests.yml)
 * into a Zone for the fixture DNS server, following the suite's own driver conventions:
 * - Records of type SPF are also served as TXT, unless the name lists any TXT entry
 *   (RFC 7208 dropped type SPF; the suite relies on this copying, see its header).
 * - "TXT: NONE" means the name has no TXT record.
 * - "TIMEOUT" makes queries for the name time out, except for record types listed before it
 *   (spftimeout: a TXT record is listed first and must be answered).
 * - Strings with \xNN escapes are octets; octets that form valid UTF-8 are served exactly, others
 *   (a lone \x80 or \x96) are served as the UTF-8 encoding of that code point: still non-ASCII,
 *   which is what those cases test.
 */
import type { Zone, ZoneEntry } from './dns-server.js';

type SuiteRecord = string | Record<string, unknown>;

/** "\xEF\xBB\xBF…" as parsed by YAML (one code point per octet) → the text a resolver would decode. */
export function suiteText(s: string): string {
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return s;
  const bytes = Buffer.from(s, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : s;
}

function txtValue(v: unknown): string | string[] {
  return Array.isArray(v) ? v.map((x) => suiteText(String(x))) : suiteText(String(v));
}

export function zoneFromSuite(zonedata: Record<string, SuiteRecord[]>): Zone {
  const zone: Zone = {};
  for (const [rawName, records] of Object.entries(zonedata)) {
    const name = rawName.replace(/\.$/, '').toLowerCase();
    const e: ZoneEntry = {};
    const spf: (string | string[])[] = [];
    let hasTxtKey = false;
    let sawRecordBeforeTimeout = false;
    let timeout = false;
    for (const r of records) {
      if (r === 'TIMEOUT') {
        timeout = true;
        break; // records after TIMEOUT are never reached by the suite's driver
      }
      if (typeof r !== 'object' || r === null) continue;
      for (const [type, value] of Object.entries(r)) {
        if (type === 'TXT') hasTxtKey = true;
        if (value === 'NONE') continue;
        switch (type) {
          case 'A':
            (e.A ??= []).push(String(value));
            sawRecordBeforeTimeout = true;
            break;
          case 'AAAA':
            (e.AAAA ??= []).push(String(value));
            sawRecordBeforeTimeout = true;
            break;
          case 'MX': {
            const [priority, exchange] = value as [number, string];
            (e.MX ??= []).push({ priority: Number(priority), exchange: String(exchange ?? '') });
            sawRecordBeforeTimeout = true;
            break;
          }
          case 'PTR':
            (e.PTR ??= []).push(String(value));
            sawRecordBeforeTimeout = true;
            break;
          case 'TXT':
            (e.TXT ??= []).push(txtValue(value));
            sawRecordBeforeTimeout = true;
            break;
          case 'SPF':
            spf.push(txtValue(value));
            break;
          case 'CNAME':
            e.CNAME = String(value);
            sawRecordBeforeTimeout = true;
            break;
          default:
            throw new Error(`unsupported record type ${type} at ${rawName}`);
        }
      }
    }
    if (timeout && !sawRecordBeforeTimeout) {
      zone[name] = { behaviour: 'timeout' };
      continue;
    }
    if (!hasTxtKey && !timeout && spf.length > 0) e.TXT = spf;
    zone[name] = e;
  }
  return zone;
}
