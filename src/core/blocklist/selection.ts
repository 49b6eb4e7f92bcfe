/**
 * Which lists a scan asks: the catalogue defaults, or the --zone values (catalogue ids or zones, else
 * custom lists), with Spamhaus moved to its Data Query Service zones when a key is given.
 */
import { UsageError } from '../errors.js';
import { domainNameProblem } from '../domain/name.js';
import { BLOCKLISTS, findBlocklist, type BlocklistDef } from './catalogue.js';

export interface SelectedList {
  id: string;
  name: string;
  /** The zone as shown to the user (never contains a DQS key). */
  zone: string;
  /** The zone actually queried (with the DQS key in front, when there is one). */
  queryZone: string;
  kind: 'ip' | 'domain';
  ipv6: boolean;
  /** The catalogue entry; undefined for a custom list. */
  def?: BlocklistDef;
}

export interface SelectionOptions {
  /** --zone values; empty or undefined: the catalogue defaults. */
  zones?: readonly string[];
  spamhausKey?: string;
}

function checkZone(spec: string, zone: string): string {
  const z = zone.trim().replace(/\.$/, '').toLowerCase();
  const problem = domainNameProblem(z);
  if (problem) throw new UsageError(`--zone "${spec}": ${problem}`, { hint: 'a zone looks like zen.spamhaus.org, or name:domain for a custom domain list' });
  return z;
}

function fromDef(def: BlocklistDef, key: string | undefined): SelectedList {
  if (def.dqsOnly && !key) {
    throw new UsageError(`${def.name} (${def.zone}) is only served through Spamhaus DQS`, { hint: 'pass --spamhaus-key <key>' });
  }
  const dqs = key && def.dqsZone ? def.dqsZone : undefined;
  return {
    id: def.id,
    name: def.name,
    zone: dqs ?? def.zone,
    queryZone: dqs ? `${key}.${dqs}` : def.zone,
    kind: def.kind,
    ipv6: def.ipv6,
    def,
  };
}

/** A DQS key goes into a DNS label: letters and digits only (Spamhaus issues 26-character keys). */
function checkKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const k = key.trim().toLowerCase();
  if (!/^[a-z0-9]{1,63}$/.test(k)) {
    throw new UsageError('--spamhaus-key must be the DQS key itself: letters and digits, at most 63 characters');
  }
  return k;
}

export function selectLists(opts: SelectionOptions = {}): SelectedList[] {
  const key = checkKey(opts.spamhausKey);
  const out: SelectedList[] = [];
  if (!opts.zones || opts.zones.length === 0) {
    for (const def of BLOCKLISTS as readonly BlocklistDef[]) {
      if (def.defaultOn && (!def.dqsOnly || key)) out.push(fromDef(def, key));
    }
    return out;
  }
  const seen = new Set<string>();
  for (const spec of opts.zones) {
    let list: SelectedList;
    const def = findBlocklist(spec);
    if (def) {
      const asked = spec.trim().replace(/\.$/, '').toLowerCase();
      if (!key && asked === def.dqsZone && asked !== def.zone) {
        throw new UsageError(`--zone ${asked} is a Spamhaus DQS zone: it needs --spamhaus-key <key>`, { hint: `or ask the public mirror, --zone ${def.zone}` });
      }
      list = fromDef(def, key);
    } else {
      // "zone" is a custom IP list, "zone:domain" a custom domain list ("zone:ip" is accepted too).
      const m = /^(.*):(ip|domain)$/i.exec(spec.trim());
      const zone = checkZone(spec, m ? m[1]! : spec);
      const kind = m ? (m[2]!.toLowerCase() as 'ip' | 'domain') : 'ip';
      const known = findBlocklist(zone);
      list = known
        ? fromDef(known, key)
        : { id: `custom:${zone}`, name: zone, zone, queryZone: zone, kind, ipv6: kind === 'ip' };
    }
    if (seen.has(list.queryZone)) continue;
    seen.add(list.queryZone);
    out.push(list);
  }
  return out;
}
