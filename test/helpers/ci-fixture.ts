/**
 * The fixture zone of the `ci` tests: per area one clean and one failing element — domains (good.ci.test,
 * bad.ci.test), sending IPs on a custom blocklist (192.0.2.20 listed on bl.ci.test), and recipient
 * domains whose MX is a fake MX on 127.0.0.1 (rcpt-refused.ci.test's postmaster is refused there).
 */
import type { Zone } from './dns-server.js';

export function ciZone(key: string): Zone {
  return {
    'good.ci.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all'], MX: [{ priority: 10, exchange: 'mx.good.ci.test' }] },
    'mx.good.ci.test': { A: ['192.0.2.10'] },
    's1._domainkey.good.ci.test': { TXT: [`v=DKIM1; p=${key}`] },
    '_dmarc.good.ci.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@good.ci.test'] },
    '10.2.0.192.in-addr.arpa': { PTR: ['mail1.good.ci.test'] },
    'mail1.good.ci.test': { A: ['192.0.2.10'] },
    '20.2.0.192.in-addr.arpa': { PTR: ['mail2.good.ci.test'] },
    'mail2.good.ci.test': { A: ['192.0.2.20'] },
    // no SPF, no DMARC: the failing domain
    'bad.ci.test': { MX: [{ priority: 10, exchange: 'mx.good.ci.test' }] },
    // a custom IP list that lists 192.0.2.20 (RFC 5782 §2.1: an A record in 127.0.0.0/8, a TXT reason)
    '20.2.0.192.bl.ci.test': { A: ['127.0.0.2'], TXT: ['192.0.2.20 sent spam to our traps'] },
    // the recipients: both MX hosts are the fake MX on loopback; it refuses the second one's postmaster
    'rcpt-ok.ci.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'rcpt-refused.ci.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'mx.example.test': { A: ['127.0.0.1'] },
    '1.0.0.127.in-addr.arpa': { PTR: ['mx.example.test'] },
  };
}

