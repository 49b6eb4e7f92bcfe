/**
 * Mailbox providers, recognised by the host names of the MX records a recipient domain publishes
 * (so a company on Google Workspace or Microsoft 365 counts as Google or Microsoft). A data table:
 * each row names the MX patterns and where they are documented.
 */
import type { Resolver } from '../dns/types.js';

export const PROVIDER_NAMES = ['gmail', 'microsoft', 'yahoo', 'apple', 'proton', 'zoho', 'fastmail', 'gmx', 'mailru', 'yandex', 'other'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderInfo {
  label: string;
  /** Other names accepted in --mix. */
  aliases: readonly string[];
  /** Suffixes of MX host names (lower case, no trailing dot): the host is the suffix or ends in "." + suffix. */
  mx: readonly string[];
  source: string;
}

export const PROVIDERS: Readonly<Record<ProviderName, ProviderInfo>> = {
  gmail: {
    label: 'Google (Gmail, Workspace)',
    aliases: ['google', 'googlemail', 'workspace'],
    mx: ['google.com', 'googlemail.com'],
    source: 'https://support.google.com/a/answer/174125 (Workspace MX: smtp.google.com, aspmx.l.google.com); gmail.com MX gmail-smtp-in.l.google.com',
  },
  microsoft: {
    label: 'Microsoft (Outlook.com, Hotmail, Microsoft 365)',
    aliases: ['outlook', 'hotmail', 'live', 'office365', 'm365'],
    mx: ['mail.protection.outlook.com', 'olc.protection.outlook.com', 'outlook.com', 'hotmail.com'],
    source: 'https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/set-up-connectors-to-route-mail (MX <domain>.mail.protection.outlook.com); hotmail.com MX hotmail-com.olc.protection.outlook.com',
  },
  yahoo: {
    label: 'Yahoo and AOL',
    aliases: ['aol', 'verizon'],
    mx: ['yahoodns.net'],
    source: 'MX of yahoo.com (mta5.am0.yahoodns.net) and aol.com (mx-aol.mail.gm0.yahoodns.net); https://senders.yahooinc.com/',
  },
  apple: {
    label: 'Apple iCloud',
    aliases: ['icloud', 'me', 'mac'],
    mx: ['mail.icloud.com'],
    source: 'https://support.apple.com/en-us/102525 (custom domains: mx01.mail.icloud.com, mx02.mail.icloud.com)',
  },
  proton: {
    label: 'Proton Mail',
    aliases: ['protonmail'],
    mx: ['protonmail.ch'],
    source: 'https://proton.me/support/custom-domain (mail.protonmail.ch, mailsec.protonmail.ch)',
  },
  zoho: {
    label: 'Zoho Mail',
    aliases: [],
    mx: ['zoho.com', 'zoho.eu', 'zoho.in', 'zoho.com.au', 'zoho.jp', 'zohomail.com'],
    source: 'https://www.zoho.com/mail/help/adminconsole/configure-email-delivery.html (mx.zoho.com, mx2.zoho.com, mx3.zoho.com; regional zoho.eu …)',
  },
  fastmail: {
    label: 'Fastmail',
    aliases: [],
    mx: ['messagingengine.com'],
    source: 'https://www.fastmail.help/hc/en-us/articles/360060591153 (in1-smtp.messagingengine.com, in2-smtp.messagingengine.com)',
  },
  gmx: {
    label: 'GMX and Web.de (United Internet)',
    aliases: ['webde', 'web.de', 'mailcom'],
    mx: ['gmx.net', 'gmx.com', 'web.de', 'mail.com'],
    source: 'MX of gmx.net (mx00.emig.gmx.net), gmx.com (mx00.gmx.com), web.de (mx-ha03.web.de), mail.com (mx00.mail.com)',
  },
  mailru: {
    label: 'Mail.ru',
    aliases: ['mail.ru', 'vk'],
    mx: ['mail.ru'],
    source: 'MX of mail.ru (mxs.mail.ru); https://help.mail.ru/biz/domain/settings/mx',
  },
  yandex: {
    label: 'Yandex',
    aliases: [],
    mx: ['yandex.ru', 'yandex.net'],
    source: 'https://yandex.com/support/business/domains/mx.html (mx.yandex.net)',
  },
  other: {
    label: 'every other receiver',
    aliases: [],
    mx: [],
    source: 'anything not matched above',
  },
};

/** A --mix name or alias → the provider ("google" → gmail); undefined when unknown. */
export function providerByName(name: string): ProviderName | undefined {
  const n = name.trim().toLowerCase();
  for (const p of PROVIDER_NAMES) if (p === n || PROVIDERS[p].aliases.includes(n)) return p;
  return undefined;
}

/** The provider an MX host name belongs to ("other" when none matches). */
export function providerForMx(host: string): ProviderName {
  const h = host.replace(/\.$/, '').toLowerCase();
  for (const p of PROVIDER_NAMES) {
    if (PROVIDERS[p].mx.some((s) => h === s || h.endsWith(`.${s}`))) return p;
  }
  return 'other';
}

export interface ListMix {
  /** Recipient count per provider. */
  counts: Partial<Record<ProviderName, number>>;
  recipients: number;
  domains: number;
  /** Domains whose MX could not be looked up (DNS failure), counted as "other". */
  failed: string[];
  /** Domains that do not exist or have no mail host, counted as "other". */
  unresolved: string[];
}

/** Addresses from a recipient list: one per line, # comments, "Name <a@b>" and CSV first columns accepted. */
export function parseRecipientList(text: string): { addresses: string[]; bad: number } {
  const addresses: string[] = [];
  let bad = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const first = line.split(/[,;\t]/)[0]!.trim().replace(/^"|"$/g, '');
    const m = /<([^<>]+)>/.exec(first);
    const addr = (m ? m[1]! : first).trim();
    const at = addr.lastIndexOf('@');
    if (at < 1 || at === addr.length - 1 || /\s/.test(addr)) {
      bad++;
      continue;
    }
    addresses.push(addr);
  }
  return { addresses, bad };
}

/**
 * The provider that receives a domain's mail: the lowest-preference MX host that matches one
 * ("other" when none does, when the domain has no MX, or when the lookup fails — said in `lookup`).
 */
export async function providerOfDomain(resolver: Resolver, domain: string): Promise<{ provider: ProviderName; lookup: 'ok' | 'unresolved' | 'failed' }> {
  const a = await resolver.query(domain, 'MX');
  if (a.status === 'ok') {
    const hosts = [...a.records].sort((x, y) => x.priority - y.priority).map((r) => r.exchange.replace(/\.$/, '').toLowerCase()).filter((h) => h !== '');
    // null MX (RFC 7505): accepts no mail
    return { provider: hosts.map(providerForMx).find((p) => p !== 'other') ?? 'other', lookup: hosts.length === 0 ? 'unresolved' : 'ok' };
  }
  // no MX (nodata): the domain's own host is its mail host (RFC 5321 §5.1), some other receiver
  return { provider: 'other', lookup: a.status === 'nxdomain' ? 'unresolved' : a.status === 'nodata' ? 'ok' : 'failed' };
}

/**
 * The provider mix of a recipient list: each distinct domain's MX is resolved once, concurrently
 * (at most `concurrency` in flight, on top of the resolver's own bound), and the lowest-preference
 * MX host that matches a provider decides.
 */
export async function mixFromList(resolver: Resolver, addresses: readonly string[], opts: { concurrency?: number } = {}): Promise<ListMix> {
  const perDomain = new Map<string, number>();
  for (const a of addresses) {
    const d = a.slice(a.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '');
    perDomain.set(d, (perDomain.get(d) ?? 0) + 1);
  }
  const domains = [...perDomain.keys()].sort();
  const providerOf = new Map<string, ProviderName>();
  const failed: string[] = [];
  const unresolved: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < domains.length) {
      const d = domains[next++]!;
      const r = await providerOfDomain(resolver, d);
      providerOf.set(d, r.provider);
      if (r.lookup === 'unresolved') unresolved.push(d);
      else if (r.lookup === 'failed') failed.push(d);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 32, domains.length)) }, worker));
  const counts: Partial<Record<ProviderName, number>> = {};
  for (const [d, n] of perDomain) {
    const p = providerOf.get(d) ?? 'other';
    counts[p] = (counts[p] ?? 0) + n;
  }
  return { counts, recipients: addresses.length, domains: domains.length, failed: failed.sort(), unresolved: unresolved.sort() };
}
