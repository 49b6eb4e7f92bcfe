/**
 * Public URL shorteners: anyone can create a link on them, so they hide where a link goes and are
 * shared with spammers, and filters score them. Kept by hand: general-purpose shorteners open to
 * the public, plus platform link wrappers that redirect anywhere. Cross-checked against Rspamd's
 * redirectors map (Debian's /etc/rspamd/maps.d/redirectors.inc, rspamd 3.4), which holds 19 of these among
 * a thousand shorteners and click-trackers.
 * A branded short domain the sender owns (e.g. go.example.com) is not a shortener in this sense.
 * Matched on the registrable domain (tldts) or the host itself, so "www.bit.ly" matches "bit.ly".
 */
export const URL_SHORTENERS = {
  'bit.ly': 'Bitly',
  'bitly.com': 'Bitly',
  'j.mp': 'Bitly',
  'tinyurl.com': 'TinyURL',
  't.co': 'X (Twitter) link wrapper',
  'goo.gl': 'Google URL Shortener (retired, old links still redirect)',
  'ow.ly': 'Hootsuite',
  'buff.ly': 'Buffer',
  'is.gd': 'is.gd',
  'v.gd': 'v.gd',
  'cutt.ly': 'Cuttly',
  'rebrand.ly': 'Rebrandly',
  'rb.gy': 'Rebrandly free',
  'shorturl.at': 'ShortURL',
  'tiny.cc': 'tiny.cc',
  't.ly': 'T.LY',
  'bl.ink': 'BL.INK',
  'lnkd.in': 'LinkedIn link wrapper',
  'x.co': 'GoDaddy',
  'clck.ru': 'Yandex',
  'qr.net': 'QR.net',
  'soo.gd': 'soo.gd',
  's.id': 's.id',
  'adf.ly': 'AdFly (ad-supported redirects)',
  'shorte.st': 'Shorte.st (ad-supported redirects)',
  'tr.im': 'tr.im',
  'su.pr': 'StumbleUpon',
  'po.st': 'po.st',
  'db.tt': 'Dropbox',
  'u.to': 'u.to',
  'mcaf.ee': 'McAfee',
  'fb.me': 'Facebook',
  'youtu.be': 'YouTube short links',
  'amzn.to': 'Amazon',
  'ift.tt': 'IFTTT',
  'dlvr.it': 'dlvr.it',
} as const satisfies Record<string, string>;

/** The shortener a host belongs to, or undefined. `registrable` is the host's registrable domain. */
export function shortenerFor(host: string, registrable?: string | null): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const table = URL_SHORTENERS as Record<string, string>;
  if (Object.prototype.hasOwnProperty.call(table, h)) return h;
  if (registrable && Object.prototype.hasOwnProperty.call(table, registrable.toLowerCase())) return registrable.toLowerCase();
  // www.bit.ly and the like
  if (h.startsWith('www.') && Object.prototype.hasOwnProperty.call(table, h.slice(4))) return h.slice(4);
  return undefined;
}
