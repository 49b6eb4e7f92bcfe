/**
 * The seeds' MX for placement tests: a loopback SMTP server (smtp-server) that accepts a message with
 * 250 and `delayMs` later — like a queueing MTA — hands it to Dovecot's LMTP port in a real LMTP
 * session (nodemailer's smtp-connection with lmtp: true), after stamping what a receiver's filters
 * write: a Received field, Authentication-Results (spf=pass, dkim=none, dmarc=pass, arc=none) and a
 * spam verdict — X-Spam-Flag: YES plus X-Spam-Status for `spamUsers`, a clean X-Spam-Status for the
 * others. nobody@ is refused at RCPT with 550 5.1.1; a local part that is not a Dovecot user is
 * accepted and dropped (a mailbox nobody can read); `deferFirst` recipients get a 451 the first time.
 */
import { SMTPServer } from 'smtp-server';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

export interface SeedMxOptions {
  lmtpHost: string;
  lmtpPort: number;
  users: readonly string[];
  spamUsers: readonly string[];
  delayMs: number;
  port?: number;
  /** Local parts whose first delivery attempt is deferred (451 4.3.0 at DATA), later ones accepted. */
  deferFirst?: readonly string[];
}

export interface SeedMx {
  port: number;
  /** When each copy was handed to LMTP (epoch ms), by recipient. */
  handed: Map<string, number>;
  /** The most SMTP sessions open at once so far. */
  readonly maxSessions: number;
  stop(): Promise<void>;
}

function lmtpDeliver(o: SeedMxOptions, from: string, to: string, raw: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = new SMTPConnection({ host: o.lmtpHost, port: o.lmtpPort, lmtp: true, ignoreTLS: true, name: 'mx.mailpace.test' } as ConstructorParameters<typeof SMTPConnection>[0]);
    c.once('error', reject);
    c.connect(() => {
      c.send({ from, to: [to] }, raw, (err, info) => {
        c.quit();
        if (err) reject(err);
        else if (info.rejected.length > 0) reject(new Error(`LMTP refused ${to}`));
        else resolve();
      });
    });
  });
}

export async function startSeedMx(o: SeedMxOptions): Promise<SeedMx> {
  const users = new Set(o.users);
  const spam = new Set(o.spamUsers);
  const handed = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const deferred = new Set<string>();
  let open = 0;
  let maxSessions = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    name: 'mx.mailpace.test',
    logger: false,
    onConnect(_s, cb) {
      open++;
      maxSessions = Math.max(maxSessions, open);
      cb();
    },
    onClose() {
      open--;
    },
    onRcptTo(addr, _s, cb) {
      if (addr.address.split('@')[0] === 'nobody') return cb(Object.assign(new Error(`5.1.1 <${addr.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        // the envelope is reset once the reply is given: read it first
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const rcpts = session.envelope.rcptTo.map((r) => r.address);
        const defer = rcpts.find((to) => (o.deferFirst ?? []).includes(to.split('@')[0]!) && !deferred.has(to));
        if (defer) {
          deferred.add(defer);
          return cb(Object.assign(new Error('4.3.0 Temporary local problem, please try again'), { responseCode: 451 }));
        }
        cb(null);
        for (const to of rcpts) {
          const local = to.split('@')[0]!;
          if (!users.has(local)) continue;
          const stamp =
            `Received: from client.example.com (localhost [127.0.0.1]) by mx.mailpace.test with ESMTP id ${Date.now()} for <${to}>; ${new Date().toUTCString()}\r\n` +
            `Authentication-Results: mx.mailpace.test; spf=pass (sender IP is 127.0.0.1) smtp.mailfrom=${from}; dkim=none; dmarc=pass (p=none) header.from=example.com; arc=none\r\n` +
            (spam.has(local) ? 'X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=7.1 required=5.0 tests=TEST_SPAM_SIGNAL\r\n' : 'X-Spam-Status: No, score=0.3 required=5.0\r\n');
          const t = setTimeout(() => {
            timers.delete(t);
            handed.set(to, Date.now());
            lmtpDeliver(o, from, to, Buffer.concat([Buffer.from(stamp), ...chunks])).catch((err) => console.error(`seed MX: LMTP to ${to} failed: ${(err as Error).message}`));
          }, o.delayMs);
          timers.add(t);
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as { port: number }).port,
    handed,
    get maxSessions() {
      return maxSessions;
    },
    stop: () => {
      for (const t of timers) clearTimeout(t);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
