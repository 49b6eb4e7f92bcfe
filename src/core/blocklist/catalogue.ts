/**
 * The catalogue of DNS blocklists: data, not code. Each entry says which zone to ask, whether it lists
 * IP addresses or domain names, whether it is asked by default, what every return code means (with the
 * provider page the table comes from), which codes are errors rather than listings, where to ask for
 * removal and the provider's usage terms.
 *
 * Ground rules shared by every list (RFC 5782):
 * - A listing is an A record in 127.0.0.0/8 (§2.1); NXDOMAIN means "not listed" (§2.1, §2.3).
 * - 127.0.0.2 is the standard IPv4 test entry and ::ffff:7f00:2 the IPv6 one (§5).
 * - An answer outside 127.0.0.0/8 is never a listing: it is a resolver that rewrites NXDOMAIN.
 * SORBS is absent on purpose: it shut down in 2024.
 */

/** listed: a listing. error: the query failed or was refused (never a listing). info: an answer that is not a listing (a reputation level, a test point). */
export type CodeKind = 'listed' | 'error' | 'info';

export interface CodeMeaning {
  readonly meaning: string;
  readonly kind: CodeKind;
  /** The list refused to answer our resolver (public resolver, over quota, unregistered). */
  readonly refusal?: boolean;
}

export interface BlocklistDef {
  /** Stable identifier, accepted by --zone. */
  readonly id: string;
  readonly name: string;
  /** Groups lists for "the list refused us" notices (one notice per provider). */
  readonly provider: string;
  readonly zone: string;
  readonly kind: 'ip' | 'domain';
  /** Whether the zone answers IPv6 (nibble-reversed) queries. */
  readonly ipv6: boolean;
  /** Asked when no --zone is given. */
  readonly defaultOn: boolean;
  /** Exact return codes. */
  readonly codes: Readonly<Record<string, CodeMeaning>>;
  /** Bitmask lists (SURBL, URIBL): meaning of each bit of the last octet, used when no exact code matches. */
  readonly bits?: Readonly<Record<number, CodeMeaning>>;
  /** Address prefixes the provider reserves for errors. */
  readonly errorPrefixes?: readonly string[];
  readonly removalUrl: string;
  readonly usage: string;
  /** Where the code table comes from. */
  readonly source: string;
  /** Spamhaus Data Query Service zone (the key is put in front), used with --spamhaus-key. */
  readonly dqsZone?: string;
  /** Only available through DQS (needs --spamhaus-key). */
  readonly dqsOnly?: boolean;
}

export interface Provider {
  readonly name: string;
  /** What to do when the provider refuses our resolver; printed once per run. */
  readonly refusalHint: string;
}

/** The advice for lists that publish no access rule beyond fair use. */
const OWN_RESOLVER = 'Use your own recursive resolver (--dns <ip>).';

/** Who runs the lists, and what to do when they refuse to answer. */
export const PROVIDERS = {
  spamhaus: {
    name: 'Spamhaus',
    refusalHint:
      'Spamhaus does not answer queries that arrive through public/open resolvers (Google, Cloudflare, Quad9, many cloud resolvers) or above its free-use volume. Ask your own recursive resolver (--dns <ip>), or get a free Data Query Service key from Spamhaus and pass --spamhaus-key <key>.',
  },
  barracuda: {
    name: 'Barracuda',
    refusalHint: 'Barracuda answers only resolvers registered at https://www.barracudacentral.org/account/register: register the IP of your resolver, or use one you control (--dns <ip>).',
  },
  uribl: {
    name: 'URIBL',
    refusalHint: 'URIBL refuses queries from public or high-volume shared resolvers (answer 127.0.0.1): use your own recursive resolver (--dns <ip>).',
  },
  surbl: {
    name: 'SURBL',
    refusalHint: 'SURBL blocks public resolvers and heavy users (answer 127.0.0.1): use your own recursive resolver (--dns <ip>).',
  },
  mailspike: { name: 'Mailspike', refusalHint: 'Mailspike limits free use to 100,000 queries a day: use your own recursive resolver (--dns <ip>).' },
  spamcop: { name: 'SpamCop', refusalHint: OWN_RESOLVER },
  uceprotect: { name: 'UCEPROTECT', refusalHint: OWN_RESOLVER },
  psbl: { name: 'PSBL', refusalHint: OWN_RESOLVER },
  dronebl: { name: 'DroneBL', refusalHint: OWN_RESOLVER },
  spamrats: {
    name: 'SpamRATS',
    refusalHint: 'SpamRATS asks for a free API key in the query name for most users (https://www.spamrats.com/lists.php): add it as a custom zone, e.g. --zone <key>.all.spamrats.com.',
  },
  manitu: { name: 'NiX Spam', refusalHint: OWN_RESOLVER },
  backscatterer: { name: 'Backscatterer', refusalHint: OWN_RESOLVER },
  custom: { name: 'custom list', refusalHint: 'Check the zone name, and that your resolver (--dns) may query it.' },
} as const satisfies Record<string, Provider>;

export type ProviderId = keyof typeof PROVIDERS;

const listed = (meaning: string): CodeMeaning => ({ meaning, kind: 'listed' });
const info = (meaning: string): CodeMeaning => ({ meaning, kind: 'info' });
const refused = (meaning: string): CodeMeaning => ({ meaning, kind: 'error', refusal: true });
const error = (meaning: string): CodeMeaning => ({ meaning, kind: 'error' });

/**
 * Spamhaus reserves 127.255.255.0/24 for errors about the query itself, never reputation
 * (https://www.spamhaus.org/news/article/788/, 2019; codes in the Spamhaus zone reference,
 * https://docs.spamhaus.com/datasets/docs/source/10-data-type-documentation/datasets/040-zones.html).
 */
const SPAMHAUS_ERRORS = {
  '127.255.255.252': error('typing error in the DNSBL name (the zone does not exist at Spamhaus)'),
  '127.255.255.254': refused('query refused: it came through a public/open resolver or one without attributable reverse DNS'),
  '127.255.255.255': refused('query refused: excessive number of queries from this resolver'),
} as const;

const SPAMHAUS_USAGE =
  'Public mirrors: free for low-volume, non-commercial use from your own resolver; never through public resolvers (https://www.spamhaus.org/blocklists/dnsbl-fair-use-policy/). Commercial or heavy use: Data Query Service (--spamhaus-key).';

/** ZRD: newly observed domains, the last octet is the age in hours (Spamhaus zone reference, "zrd"). */
const ZRD_CODES: Readonly<Record<string, CodeMeaning>> = Object.fromEntries(
  Array.from({ length: 23 }, (_, i) => {
    const n = i + 2;
    return [`127.0.2.${n}`, listed(`Zero Reputation Domain: first seen between ${n === 2 ? 0 : n - 1} and ${n} hours ago`)];
  }),
);

export const BLOCKLISTS = [
  {
    id: 'spamhaus-zen',
    name: 'Spamhaus ZEN',
    provider: 'spamhaus',
    zone: 'zen.spamhaus.org',
    kind: 'ip',
    ipv6: true,
    defaultOn: true,
    // Source: Spamhaus zone reference (040-zones.html above), "zen" row.
    codes: {
      '127.0.0.2': listed('SBL: Spamhaus Block List, a direct spam source or spam operation'),
      '127.0.0.3': listed('SBL CSS: snowshoe spam source found by automation'),
      '127.0.0.4': listed('XBL: exploited host (malware, botnet, open proxy), CBL data'),
      '127.0.0.5': listed('XBL (code currently unused by Spamhaus)'),
      '127.0.0.6': listed('XBL (code currently unused by Spamhaus)'),
      '127.0.0.7': listed('XBL (code currently unused by Spamhaus)'),
      '127.0.0.9': listed('SBL DROP/EDROP: hijacked or criminal network (always with an SBL listing)'),
      '127.0.0.10': listed('PBL: end-user address that the ISP says should not send mail directly (ISP maintained)'),
      '127.0.0.11': listed('PBL: end-user address that should not send mail directly (Spamhaus maintained)'),
      '127.0.0.30': listed('BCL: botnet command-and-control server'),
      ...SPAMHAUS_ERRORS,
    },
    errorPrefixes: ['127.255.255.'],
    removalUrl: 'https://check.spamhaus.org/',
    usage: SPAMHAUS_USAGE,
    source: 'https://docs.spamhaus.com/datasets/docs/source/10-data-type-documentation/datasets/040-zones.html',
    dqsZone: 'zen.dq.spamhaus.net',
  },
  {
    id: 'spamhaus-dbl',
    name: 'Spamhaus DBL',
    provider: 'spamhaus',
    zone: 'dbl.spamhaus.org',
    kind: 'domain',
    ipv6: false,
    defaultOn: true,
    // Source: Spamhaus zone reference, "dbl" row; 127.0.1.1xx are legitimate domains that were abused.
    codes: {
      '127.0.1.2': listed('DBL: low-reputation (spam) domain'),
      '127.0.1.4': listed('DBL: phishing domain'),
      '127.0.1.5': listed('DBL: malware domain'),
      '127.0.1.6': listed('DBL: botnet command-and-control domain'),
      '127.0.1.102': listed('DBL abused-legit: legitimate domain abused to send or advertise spam'),
      '127.0.1.103': listed('DBL abused-legit: legitimate domain abused as a spam redirector'),
      '127.0.1.104': listed('DBL abused-legit: legitimate domain abused for phishing'),
      '127.0.1.105': listed('DBL abused-legit: legitimate domain abused to spread malware'),
      '127.0.1.106': listed('DBL abused-legit: legitimate domain abused to host botnet command-and-control'),
      '127.0.1.255': error('IP address queries are not allowed on the DBL (it lists domains)'),
      ...SPAMHAUS_ERRORS,
    },
    errorPrefixes: ['127.255.255.'],
    removalUrl: 'https://check.spamhaus.org/',
    usage: SPAMHAUS_USAGE,
    source: 'https://docs.spamhaus.com/datasets/docs/source/10-data-type-documentation/datasets/040-zones.html',
    dqsZone: 'dbl.dq.spamhaus.net',
  },
  {
    id: 'spamhaus-zrd',
    name: 'Spamhaus ZRD',
    provider: 'spamhaus',
    zone: 'zrd.dq.spamhaus.net',
    kind: 'domain',
    ipv6: false,
    defaultOn: true,
    codes: { ...ZRD_CODES, ...SPAMHAUS_ERRORS },
    errorPrefixes: ['127.255.255.'],
    removalUrl: 'https://check.spamhaus.org/',
    usage: 'Data Query Service only (free for qualifying users): https://www.spamhaus.com/data-access/free-data-query-service/',
    source: 'https://docs.spamhaus.com/datasets/docs/source/10-data-type-documentation/datasets/040-zones.html',
    dqsZone: 'zrd.dq.spamhaus.net',
    dqsOnly: true,
  },
  {
    id: 'barracuda',
    name: 'Barracuda BRBL',
    provider: 'barracuda',
    zone: 'b.barracudacentral.org',
    kind: 'ip',
    ipv6: false,
    defaultOn: true,
    // Source: https://www.barracudacentral.org/rbl/how-to-use ("returns 127.0.0.2 when listed").
    codes: { '127.0.0.2': listed('listed in the Barracuda Reputation Block List (poor sending reputation)') },
    removalUrl: 'https://www.barracudacentral.org/rbl/removal-request',
    usage: 'Free; queries are answered only for resolvers registered at barracudacentral.org.',
    source: 'https://www.barracudacentral.org/rbl/how-to-use',
  },
  {
    id: 'spamcop',
    name: 'SpamCop SCBL',
    provider: 'spamcop',
    zone: 'bl.spamcop.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: true,
    // Source: SpamCop FAQ "How do I use the SCBL?" — a listed address answers 127.0.0.2.
    codes: { '127.0.0.2': listed('reported as a spam source by SpamCop users; listings expire on their own 24 h after the reports stop') },
    removalUrl: 'https://www.spamcop.net/bl.shtml',
    usage: 'Free for low-volume use; heavy users should use a mirror or data feed.',
    source: 'https://www.spamcop.net/fom-serve/cache/291.html',
  },
  {
    id: 'uceprotect-1',
    name: 'UCEPROTECT Level 1',
    provider: 'uceprotect',
    zone: 'dnsbl-1.uceprotect.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: true,
    // Source: UCEPROTECT usage page — every level answers 127.0.0.2 for a listed address.
    codes: { '127.0.0.2': listed('Level 1: this single address sent to UCEPROTECT spam traps (expires 7 days after the last hit)') },
    removalUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    usage: 'Free for low-volume use; rsync for heavy users.',
    source: 'https://www.uceprotect.net/en/index.php?m=6&s=11',
  },
  {
    id: 'uceprotect-2',
    name: 'UCEPROTECT Level 2',
    provider: 'uceprotect',
    zone: 'dnsbl-2.uceprotect.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    codes: { '127.0.0.2': listed('Level 2: the surrounding allocation has many Level 1 listings (collateral; few receivers use it)') },
    removalUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    usage: 'Free for low-volume use. Lists whole allocations: most receivers do not use it.',
    source: 'https://www.uceprotect.net/en/index.php?m=6&s=11',
  },
  {
    id: 'uceprotect-3',
    name: 'UCEPROTECT Level 3',
    provider: 'uceprotect',
    zone: 'dnsbl-3.uceprotect.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    codes: { '127.0.0.2': listed('Level 3: the whole autonomous system has many Level 1 listings (collateral; few receivers use it)') },
    removalUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    usage: 'Free for low-volume use. Lists whole networks (ASNs): most receivers do not use it.',
    source: 'https://www.uceprotect.net/en/index.php?m=6&s=11',
  },
  {
    id: 'psbl',
    name: 'PSBL',
    provider: 'psbl',
    zone: 'psbl.surriel.com',
    kind: 'ip',
    ipv6: false,
    defaultOn: true,
    // Source: https://psbl.org/ "Using the PSBL" — listed addresses answer 127.0.0.2.
    codes: { '127.0.0.2': listed('Passive Spam Block List: sent mail to spam traps (self-service removal)') },
    removalUrl: 'https://psbl.org/remove',
    usage: 'Free.',
    source: 'https://psbl.org/',
  },
  {
    id: 'mailspike-bl',
    name: 'Mailspike BL',
    provider: 'mailspike',
    zone: 'bl.mailspike.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: true,
    // Source: https://mailspike.org/usage.html — bl = z.mailspike.net (127.0.0.2) plus rep levels L3-L5.
    codes: {
      '127.0.0.2': listed('Mailspike Z: took part in a distributed spam wave'),
      '127.0.0.10': listed('Mailspike reputation L5: worst possible reputation'),
      '127.0.0.11': listed('Mailspike reputation L4: very bad reputation'),
      '127.0.0.12': listed('Mailspike reputation L3: bad reputation'),
    },
    removalUrl: 'https://mailspike.io/',
    usage: 'Free up to 100,000 messages and 100,000 queries a day.',
    source: 'https://mailspike.org/usage.html',
  },
  {
    id: 'mailspike-rep',
    name: 'Mailspike reputation',
    provider: 'mailspike',
    zone: 'rep.mailspike.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    // Source: https://mailspike.org/usage.html — one reputation level per address, L5 (worst) to H5 (best).
    codes: {
      '127.0.0.10': listed('reputation L5: worst possible'),
      '127.0.0.11': listed('reputation L4: very bad'),
      '127.0.0.12': listed('reputation L3: bad'),
      '127.0.0.13': listed('reputation L2: suspicious behaviour'),
      '127.0.0.14': info('reputation L1: neutral, probably spam'),
      '127.0.0.15': info('reputation neutral'),
      '127.0.0.16': info('reputation H1: neutral, probably legitimate'),
      '127.0.0.17': info('reputation H2: possibly a legitimate sender'),
      '127.0.0.18': info('reputation H3: good'),
      '127.0.0.19': info('reputation H4: very good'),
      '127.0.0.20': info('reputation H5: excellent'),
    },
    removalUrl: 'https://mailspike.io/',
    usage: 'Free up to 100,000 messages and 100,000 queries a day.',
    source: 'https://mailspike.org/usage.html',
  },
  {
    id: 'spamrats',
    name: 'SpamRATS',
    provider: 'spamrats',
    zone: 'all.spamrats.com',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    // Source: https://www.spamrats.com/lists.php — RATS-All combines the lists, one code each.
    codes: {
      '127.0.0.36': listed('RATS-Dyna: dynamic/home address with abusive connections'),
      '127.0.0.37': listed('RATS-NoPtr: no reverse DNS and abusive connections'),
      '127.0.0.38': listed('RATS-Spam: shown to be abusive (compromised server or open relay)'),
      '127.0.0.43': listed('RATS-Auth: password-guessing (authentication) attacks'),
    },
    removalUrl: 'https://www.spamrats.com/removal.php',
    usage: 'Free for most users with a (free) API key in the query name; the keyless zone may refuse you.',
    source: 'https://www.spamrats.com/lists.php',
  },
  {
    id: 'dronebl',
    name: 'DroneBL',
    provider: 'dronebl',
    zone: 'dnsbl.dronebl.org',
    kind: 'ip',
    ipv6: true,
    defaultOn: false,
    // Source: DroneBL listing classes (https://dronebl.org/classes); the last octet is the class.
    // Classes 1 (testing) and 2 (sample data kept for heuristic analysis) mark no abuse by the
    // address, so they are not reported as listings.
    codes: {
      '127.0.0.1': info('DroneBL: testing class, not a listing'),
      '127.0.0.2': info('DroneBL: sample data kept for heuristic analysis, not a listing'),
      '127.0.0.3': listed('DroneBL: IRC spam drone'),
      '127.0.0.5': listed('DroneBL: bottler'),
      '127.0.0.6': listed('DroneBL: unknown spambot or drone'),
      '127.0.0.7': listed('DroneBL: DDoS drone'),
      '127.0.0.8': listed('DroneBL: open SOCKS proxy'),
      '127.0.0.9': listed('DroneBL: open HTTP proxy'),
      '127.0.0.10': listed('DroneBL: proxy chain'),
      '127.0.0.11': listed('DroneBL: web page proxy'),
      '127.0.0.12': listed('DroneBL: open DNS resolver'),
      '127.0.0.13': listed('DroneBL: brute-force (dictionary) attacker'),
      '127.0.0.14': listed('DroneBL: open WinGate proxy'),
      '127.0.0.15': listed('DroneBL: compromised router or gateway'),
      '127.0.0.16': listed('DroneBL: autorooting worm'),
      '127.0.0.17': listed('DroneBL: automatically detected botnet address'),
      '127.0.0.18': listed('DroneBL: DNS/MX-type host name seen on IRC'),
      '127.0.0.19': listed('DroneBL: abused VPN service'),
      '127.0.0.255': listed('DroneBL: uncategorised threat'),
    },
    removalUrl: 'https://dronebl.org/lookup',
    usage: 'Free for commercial and non-commercial use.',
    source: 'https://dronebl.org/docs/howtouse',
  },
  {
    id: 'nixspam',
    name: 'NiX Spam',
    provider: 'manitu',
    zone: 'ix.dnsbl.manitu.net',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    // Source: https://www.dnsbl.manitu.net/ — listed addresses answer 127.0.0.2.
    codes: { '127.0.0.2': listed('NiX Spam: sent spam to the iX (heise) spam traps') },
    removalUrl: 'https://www.dnsbl.manitu.net/',
    usage: 'Free for low-volume use.',
    source: 'https://www.dnsbl.manitu.net/',
  },
  {
    id: 'backscatterer',
    name: 'Backscatterer',
    provider: 'backscatterer',
    zone: 'ips.backscatterer.org',
    kind: 'ip',
    ipv6: false,
    defaultOn: false,
    // Source: http://www.backscatterer.org/?target=usage — listed addresses answer 127.0.0.2.
    codes: { '127.0.0.2': listed('Backscatterer: sends bounces or auto-replies to forged senders (backscatter)') },
    removalUrl: 'http://www.backscatterer.org/?target=test',
    usage: 'Free for low-volume use; meant for scoring bounces, not for rejecting all mail.',
    source: 'http://www.backscatterer.org/?target=usage',
  },
  {
    id: 'surbl',
    name: 'SURBL multi',
    provider: 'surbl',
    zone: 'multi.surbl.org',
    kind: 'domain',
    ipv6: false,
    defaultOn: true,
    // Source: https://www.surbl.org/lists — a bitmask in the last octet; 127.0.0.1 means access blocked.
    codes: { '127.0.0.1': refused('query blocked: SURBL refuses this resolver (public resolver or over the free limit)') },
    bits: {
      4: listed('DM: disposable email domain'),
      8: listed('PH: phishing site'),
      16: listed('MW: malware site'),
      32: listed('CT: click-tracking domain seen in unsolicited mail'),
      64: listed('ABUSE: spam and abuse site'),
      128: listed('CR: cracked (compromised) site'),
    },
    removalUrl: 'https://www.surbl.org/surbl-analysis',
    usage: 'Free for fewer than 1,000 users or 250,000 messages a day; not for resale (https://www.surbl.org/usage-policy).',
    source: 'https://www.surbl.org/lists',
  },
  {
    id: 'uribl',
    name: 'URIBL multi',
    provider: 'uribl',
    zone: 'multi.uribl.com',
    kind: 'domain',
    ipv6: false,
    defaultOn: true,
    // Source: https://uribl.com/usage.shtml (bitmask) and https://uribl.com/refused.shtml (127.0.0.1 = refused).
    codes: { '127.0.0.1': refused('query refused: URIBL does not answer this resolver (public/shared resolver or over limit)') },
    bits: {
      2: listed('black: domain used by spammers'),
      4: listed('grey: domain found in bulk mail that may honour opt-out (grey listing)'),
      8: listed('red: very young or WHOIS-hidden domain active in mail flow (automated)'),
    },
    removalUrl: 'https://admin.uribl.com/',
    usage: 'Free for low-volume use through your own resolver; heavy users are refused (https://uribl.com/about.shtml).',
    source: 'https://uribl.com/usage.shtml',
  },
] as const satisfies readonly BlocklistDef[];

export type BlocklistId = (typeof BLOCKLISTS)[number]['id'];

export function findBlocklist(idOrZone: string): BlocklistDef | undefined {
  const k = idOrZone.trim().replace(/\.$/, '').toLowerCase();
  return (BLOCKLISTS as readonly BlocklistDef[]).find((b) => b.id === k || b.zone === k || b.dqsZone === k);
}

export function providerOf(def: { provider: string }): Provider {
  return (PROVIDERS as Record<string, Provider>)[def.provider] ?? PROVIDERS.custom;
}
