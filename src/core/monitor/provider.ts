/**
 * Which mailbox provider a delivery went to: by the relay (MX) host name, as `warmup` recognises
 * providers; when the log names no MX (relay=none, a local transport), by the recipient's domain
 * for the providers' own consumer domains.
 */
import { providerForMx, type ProviderName } from '../warmup/providers.js';

/** The providers' consumer mail domains (their MX hosts are in providers.ts). */
const CONSUMER_DOMAINS: Readonly<Record<string, ProviderName>> = {
  'gmail.com': 'gmail',
  'googlemail.com': 'gmail',
  'outlook.com': 'microsoft',
  'hotmail.com': 'microsoft',
  'hotmail.co.uk': 'microsoft',
  'hotmail.fr': 'microsoft',
  'live.com': 'microsoft',
  'msn.com': 'microsoft',
  'yahoo.com': 'yahoo',
  'yahoo.co.uk': 'yahoo',
  'yahoo.fr': 'yahoo',
  'ymail.com': 'yahoo',
  'aol.com': 'yahoo',
  'icloud.com': 'apple',
  'me.com': 'apple',
  'mac.com': 'apple',
  'proton.me': 'proton',
  'protonmail.com': 'proton',
  'gmx.net': 'gmx',
  'gmx.de': 'gmx',
  'web.de': 'gmx',
  'mail.ru': 'mailru',
  'yandex.ru': 'yandex',
  'zoho.com': 'zoho',
  'fastmail.com': 'fastmail',
};

/** Reported first, in this order: the three that carry most consumer mail. */
export const PROVIDER_ORDER: readonly string[] = ['gmail', 'microsoft', 'yahoo'];

/** The provider a relay (MX) host belongs to; undefined when the relay names none ("none", a local transport, another host). */
export function relayProviderOf(relay: string | undefined, cache?: Map<string, ProviderName>): ProviderName | undefined {
  if (relay === undefined || relay === 'none' || !relay.includes('.')) return undefined;
  let p = cache?.get(relay);
  if (p === undefined) {
    p = providerForMx(relay);
    cache?.set(relay, p);
  }
  return p !== 'other' ? p : undefined;
}

export function providerOf(relay: string | undefined, recipientDomain: string | undefined, cache?: Map<string, ProviderName>): ProviderName {
  return relayProviderOf(relay, cache) ?? (recipientDomain !== undefined ? CONSUMER_DOMAINS[recipientDomain] : undefined) ?? 'other';
}
