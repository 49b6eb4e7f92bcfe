/**
 * Generates realistic Postfix logs (smtpd → cleanup → qmgr → smtp → removed, with a daily rhythm,
 * deferrals that are retried, bounces and rejects) with known anomalies injected, for the anomaly
 * tests and bench/monitor.ts. Deterministic: a seeded PRNG.
 */
import { seededRandom } from '../../src/core/warmup/simulate.js';

export interface Provider {
  name: string;
  domain: string;
  relay: string;
  ip: string;
  share: number;
  deferRate: number;
  bounceRate: number;
  /** Median delivery delay, seconds. */
  delay: number;
}

export const PROVIDERS: Provider[] = [
  { name: 'gmail', domain: 'gmail.com', relay: 'gmail-smtp-in.l.google.com', ip: '192.0.2.10', share: 0.4, deferRate: 0.02, bounceRate: 0.01, delay: 1.2 },
  { name: 'microsoft', domain: 'outlook.com', relay: 'outlook-com.olc.protection.outlook.com', ip: '192.0.2.20', share: 0.25, deferRate: 0.03, bounceRate: 0.01, delay: 2.5 },
  { name: 'yahoo', domain: 'yahoo.com', relay: 'mta5.am0.yahoodns.net', ip: '192.0.2.30', share: 0.15, deferRate: 0.04, bounceRate: 0.01, delay: 3 },
  { name: 'other', domain: 'example.net', relay: 'mx.example.net', ip: '192.0.2.40', share: 0.2, deferRate: 0.02, bounceRate: 0.015, delay: 0.8 },
];

export interface Injection {
  /** Hours after the start. */
  fromHour: number;
  hours: number;
}
export interface GenOptions {
  start: Date;
  hours: number;
  /** Messages per hour at the daily peak. */
  peakPerHour: number;
  senders?: { domain: string; share: number }[];
  seed?: number;
  /** RFC 3339 stamps instead of classic ones. */
  rfc3339?: boolean;
  spike?: Injection & { domain: string; factor: number };
  deferralBurst?: Injection & { provider: string; rate: number };
  blocklist?: Injection & { provider: string; list: string; ip: string; rate: number };
  /** Stop after this many lines (bench). */
  maxLines?: number;
}

/** The warm-up simulator's seeded PRNG (mulberry32). */
export const prng = (seed: number): (() => number) => seededRandom(seed || 1);

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

export function stamp(ms: number, rfc3339: boolean): string {
  const d = new Date(ms);
  if (rfc3339) return d.toISOString().replace('Z', '+00:00');
  // classic stamps are local time, as syslog writes them
  return `${MON[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** Daily rhythm: low at night, peak mid-afternoon (UTC). */
export function diurnal(hourOfDay: number): number {
  return 0.25 + 0.75 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI)) ** 1.5 + 0.05;
}

export interface Expected {
  received: number;
  delivered: number;
  deferred: number;
  bounced: number;
  rejected: number;
}

export function generatePostfixLog(o: GenOptions): { text: string; lines: number; expected: Expected } {
  const rnd = prng(o.seed ?? 7);
  const senders = o.senders ?? [
    { domain: 'shop.example', share: 0.6 },
    { domain: 'news.example', share: 0.3 },
    { domain: 'billing.example', share: 0.1 },
  ];
  const out: [number, string][] = [];
  const exp: Expected = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0 };
  const start = o.start.getTime();
  let qn = 0x10000;
  let pid = 1000;
  const pick = <T extends { share: number }>(xs: T[]): T => {
    let r = rnd();
    for (const x of xs) if ((r -= x.share) < 0) return x;
    return xs[xs.length - 1]!;
  };
  const inj = (i: Injection | undefined, h: number) => i !== undefined && h >= i.fromHour && h < i.fromHour + i.hours;
  const line = (t: number, prog: string, msg: string) => out.push([t, `${prog}[${pid}]: ${msg}`]);
  const stopAt = o.maxLines ?? Infinity;
  for (let h = 0; h < o.hours && out.length < stopAt; h++) {
    const hourStart = start + h * 3_600_000;
    const hod = new Date(hourStart).getUTCHours();
    const base = Math.round(o.peakPerHour * diurnal(hod) * (0.9 + 0.2 * rnd()));
    const perSender = senders.map((s) => ({ s, n: Math.round(base * s.share) }));
    if (o.spike && inj(o.spike, h)) {
      const x = perSender.find((p) => p.s.domain === o.spike!.domain);
      if (x) x.n = Math.round(x.n * o.spike.factor);
      else perSender.push({ s: { domain: o.spike.domain, share: 0 }, n: Math.round(base * o.spike.factor * 0.1) });
    }
    for (const { s, n } of perSender) {
      for (let k = 0; k < n; k++) {
        const t0 = hourStart + Math.floor(rnd() * 3_590_000);
        const qid = (qn++).toString(16).toUpperCase().padStart(10, '0');
        pid = 1000 + Math.floor(rnd() * 9000);
        const prov = pick(PROVIDERS);
        const user = `u${Math.floor(rnd() * 1e6)}`;
        const rcpt = `${user}@${prov.domain}`;
        const sender = `bounce-${Math.floor(rnd() * 1e5)}@${s.domain}`;
        line(t0, 'postfix/smtpd', `${qid}: client=app1.example[198.51.100.7]`);
        line(t0, 'postfix/cleanup', `${qid}: message-id=<${qid}.${Math.floor(rnd() * 1e9)}@${s.domain}>`);
        const size = 2000 + Math.floor(rnd() * 30000);
        line(t0 + 1, 'postfix/qmgr', `${qid}: from=<${sender}>, size=${size}, nrcpt=1 (queue active)`);
        exp.received++;
        let t = t0 + 1000;
        const relay = `${prov.relay}[${prov.ip}]:25`;
        let deferP = prov.deferRate;
        let blocked = false;
        if (o.deferralBurst && o.deferralBurst.provider === prov.name && inj(o.deferralBurst, h)) deferP = o.deferralBurst.rate;
        if (o.blocklist && o.blocklist.provider === prov.name && inj(o.blocklist, h) && rnd() < o.blocklist.rate) blocked = true;
        if (blocked) {
          const d = (t - t0) / 1000 + 0.3;
          line(t + 300, 'postfix/smtp', `${qid}: to=<${rcpt}>, relay=${relay}, delay=${d.toFixed(1)}, delays=0.01/0/0.2/0.1, dsn=5.7.1, status=bounced (host ${prov.relay}[${prov.ip}] said: 554 5.7.1 Service unavailable; Client host [${o.blocklist!.ip}] blocked using ${o.blocklist!.list}; https://www.spamhaus.org/query/ip/${o.blocklist!.ip} (in reply to RCPT TO command))`);
          exp.bounced++;
          line(t + 400, 'postfix/qmgr', `${qid}: removed`);
          continue;
        }
        let tries = 0;
        while (rnd() < deferP && tries < 3) {
          tries++;
          const d = (t - t0) / 1000 + 0.4;
          line(t + 400, 'postfix/smtp', `${qid}: to=<${rcpt}>, relay=${relay}, delay=${d.toFixed(1)}, delays=0.02/0/0.3/0.1, dsn=4.7.0, status=deferred (host ${prov.relay}[${prov.ip}] said: 421-4.7.0 [${o.blocklist?.ip ?? '203.0.113.5'}] Our system has detected an unusual rate of unsolicited mail 421 4.7.0 originating from your IP address. ${qid.toLowerCase()}x9 - gsmtp (in reply to end of DATA command))`);
          exp.deferred++;
          t += 300_000 * tries + Math.floor(rnd() * 60_000);
          line(t, 'postfix/qmgr', `${qid}: from=<${sender}>, size=${size}, nrcpt=1 (queue active)`);
        }
        const delay = (t - t0) / 1000 + prov.delay * (0.5 + rnd());
        if (rnd() < prov.bounceRate) {
          line(t + 500, 'postfix/smtp', `${qid}: to=<${rcpt}>, relay=${relay}, delay=${delay.toFixed(2)}, delays=0.01/0/0.3/0.2, dsn=5.1.1, status=bounced (host ${prov.relay}[${prov.ip}] said: 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown (in reply to RCPT TO command))`);
          exp.bounced++;
          line(t + 600, 'postfix/bounce', `${qid}: sender non-delivery notification: ${(qn++).toString(16).toUpperCase().padStart(10, '0')}`);
        } else {
          line(t + Math.round(delay * 1000 - (t - t0)), 'postfix/smtp', `${qid}: to=<${rcpt}>, relay=${relay}, delay=${delay.toFixed(2)}, delays=0.01/0.01/0.4/${(delay / 2).toFixed(2)}, dsn=2.0.0, status=sent (250 2.0.0 OK  ${Math.floor(rnd() * 1e9)} ${qid.toLowerCase()}.1 - gsmtp)`);
          exp.delivered++;
        }
        line(t + Math.round(delay * 1000 - (t - t0)) + 10, 'postfix/qmgr', `${qid}: removed`);
      }
    }
    // a few inbound rejects every hour
    const rej = Math.round(base * 0.02);
    for (let k = 0; k < rej; k++) {
      const t = hourStart + Math.floor(rnd() * 3_590_000);
      line(t, 'postfix/smtpd', `NOQUEUE: reject: RCPT from unknown[203.0.113.${1 + Math.floor(rnd() * 200)}]: 554 5.7.1 <spam${k}@shop.example>: Relay access denied; from=<x@spam.example> to=<spam${k}@elsewhere.example> proto=ESMTP helo=<spam.example>`);
      exp.rejected++;
    }
  }
  out.sort((a, b) => a[0] - b[0]);
  const lines = out.length;
  const text = out.map(([t, l]) => `${stamp(t, !!o.rfc3339)} mail ${l}`).join('\n') + '\n';
  return { text, lines, expected: exp };
}
