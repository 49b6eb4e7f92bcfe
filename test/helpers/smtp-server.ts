/**
 * Fake recipient MXs on 127.0.0.1 port 0, for the probe and SMTP client tests.
 *
 * - startFakeMx(): smtp-server with a chosen TLS version range, certificate, STARTTLS on/off,
 *   a greylisting RCPT handler (driven by an injected clock), a refusing banner (554), and a
 *   log of every command so tests can assert that DATA was never sent.
 * - startRawServer(): plain TCP servers that misbehave: stall after connect, send garbage.
 * - makeTestPki(): a throw-away CA and leaf certificates (good, wrong name, expired, expiring
 *   soon, self-signed, wildcard) made with the openssl CLI in a temporary directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Clock } from '../../src/core/clock.js';

const run = promisify(execFile);

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestPki {
  dir: string;
  /** PEM of the test CA (what --ca-file gets). */
  caPem: string;
  caFile: string;
  /** mx.example.test (+ mx2.example.test, 127.0.0.1) signed by the CA, valid 90 days. */
  good: KeyPair;
  /** other.example.net signed by the CA. */
  wrongName: KeyPair;
  /** mx.example.test signed by the CA, valid January 2020 only. */
  expired: KeyPair;
  /** mx.example.test signed by the CA, valid 5 more days. */
  expiringSoon: KeyPair;
  /** mx.example.test, self-signed. */
  selfSigned: KeyPair;
  /** *.example.test signed by the CA. */
  wildcard: KeyPair;
  /** Another leaf from the CA, for any name (an HTTPS policy host …). */
  issue(name: string, days?: number): Promise<KeyPair>;
  cleanup(): Promise<void>;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/** A CA and leaves in a temp dir. EC P-256 keys: fast to make, and fine for TLS 1.0–1.3. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'mailpace-pki-'));
  await mkdir(join(dir, 'newcerts'));
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial',
      'default_md = sha256',
      'policy = any_name',
      'unique_subject = no',
      'email_in_dn = no',
      '[ any_name ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await openssl(dir, ['genpkey', ...ec, '-out', 'ca.key']);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '365', '-subj', '/CN=mailpace test CA', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, ['genpkey', ...ec, '-out', 'leaf.key']);

  const leaf = async (name: string, cn: string, san: string, validity: string[]): Promise<KeyPair> => {
    await writeFile(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    await openssl(dir, ['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
    await openssl(dir, [
      'ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key',
      '-in', `${name}.csr`, '-out', `${name}.pem`, '-extfile', `${name}.ext`, ...validity,
    ]);
    return { key: await readFile(join(dir, 'leaf.key'), 'utf8'), cert: await readFile(join(dir, `${name}.pem`), 'utf8') };
  };
  const mxSan = 'DNS:mx.example.test,DNS:mx2.example.test,IP:127.0.0.1';
  const good = await leaf('good', 'mx.example.test', mxSan, ['-days', '90']);
  const wrongName = await leaf('wrong', 'other.example.net', 'DNS:other.example.net', ['-days', '90']);
  const expired = await leaf('expired', 'mx.example.test', mxSan, ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  const expiringSoon = await leaf('soon', 'mx.example.test', mxSan, ['-days', '5']);
  const wildcard = await leaf('wild', '*.example.test', 'DNS:*.example.test', ['-days', '90']);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', 'leaf.key', '-sha256', '-days', '90', '-subj', '/CN=mx.example.test', '-out', 'self.pem',
    '-addext', `subjectAltName=${mxSan}`,
  ]);
  const selfSigned = { key: good.key, cert: await readFile(join(dir, 'self.pem'), 'utf8') };
  return {
    dir,
    caPem: await readFile(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    good,
    wrongName,
    expired,
    expiringSoon,
    selfSigned,
    wildcard,
    issue: (name, days = 30) => leaf(`issued-${name.replace(/[^a-z0-9.-]/gi, '_')}`, name, `DNS:${name}`, ['-days', String(days)]),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** The TLS set-ups the issue names. */
export const TLS_SETUPS = {
  'tls1.2-only': { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
  'tls1.0-1.3': { minVersion: 'TLSv1', maxVersion: 'TLSv1.3' },
  'tls1.3-only': { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
} as const satisfies Record<string, { minVersion: TlsVersionName; maxVersion: TlsVersionName }>;

export interface GreylistOptions {
  /** How long a new (client, sender, recipient) triplet is refused (RFC 6647 §2.1). */
  delayMs: number;
  /** Decides "now"; tests pass the same (fake) clock the probe uses. */
  clock: Clock;
  /** The 4xx reply text; default is postgrey's wording. */
  message?: string;
  code?: number;
}

export interface FakeMxOptions {
  /** Certificate and key; default: none (then STARTTLS is off unless tls is given). */
  tls?: KeyPair & { minVersion?: TlsVersionName; maxVersion?: TlsVersionName };
  /** Advertise and accept STARTTLS (default: when tls is given). */
  starttls?: boolean;
  /** Refuse every connection in the greeting with this code and text (e.g. 554). */
  refuse?: { code: number; message: string };
  greylist?: GreylistOptions;
  /** A fixed reply for RCPT TO of these addresses (e.g. 550 5.1.1 for unknown users). */
  rcptReplies?: Record<string, { code: number; message: string }>;
  /** A fixed reply to MAIL FROM. */
  mailReply?: { code: number; message: string };
  /** Greeting host name. */
  name?: string;
  /** Require AUTH (for session tests). */
  auth?: { user: string; pass: string };
  /** Loopback address to bind (default 127.0.0.1; any 127.x works on Linux, for several MX hosts). */
  host?: string;
  /** Port (default 0: any free port). Several MX hosts on different loopback addresses share one port. */
  port?: number;
}

export interface FakeMx {
  host: string;
  port: number;
  /** Commands as the server parsed them: "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA", … */
  commands: string[];
  /** Connections accepted so far. */
  connections: number;
  /** Greylisting decisions: triplet and whether it was let through. */
  greylistLog: { triplet: string; accepted: boolean; at: number }[];
  /** Messages received through DATA (the probe must never produce one). */
  messages: string[];
  stop(): Promise<void>;
}

export async function startFakeMx(opts: FakeMxOptions = {}): Promise<FakeMx> {
  const state: FakeMx = {
    host: opts.host ?? '127.0.0.1',
    port: 0,
    commands: [],
    connections: 0,
    greylistLog: [],
    messages: [],
    stop: async () => undefined,
  };
  const firstSeen = new Map<string, number>();
  const starttls = opts.starttls ?? !!opts.tls;
  const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
  const options: SMTPServerOptions = {
    name: opts.name ?? 'mx.example.test',
    disableReverseLookup: true,
    logger: false,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: [...(starttls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    hideSTARTTLS: !starttls,
    socketTimeout: 30_000,
    closeTimeout: 1000,
    onConnect(_session, cb) {
      state.connections++;
      if (opts.refuse) return cb(smtpError(opts.refuse.code, opts.refuse.message));
      cb();
    },
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
      cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onMailFrom(address, _session, cb) {
      state.commands.push(`MAIL FROM:<${address.address}>`);
      if (opts.mailReply && opts.mailReply.code >= 400) return cb(smtpError(opts.mailReply.code, opts.mailReply.message));
      cb();
    },
    onRcptTo(address, session: SMTPServerSession, cb) {
      state.commands.push(`RCPT TO:<${address.address}>`);
      const fixed = opts.rcptReplies?.[address.address.toLowerCase()];
      if (fixed && fixed.code >= 400) return cb(smtpError(fixed.code, fixed.message));
      const g = opts.greylist;
      if (g) {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const triplet = `${session.remoteAddress}/${from}/${address.address.toLowerCase()}`;
        const now = g.clock.now();
        const first = firstSeen.get(triplet);
        if (first === undefined) firstSeen.set(triplet, now);
        const accepted = first !== undefined && now - first >= g.delayMs;
        state.greylistLog.push({ triplet, accepted, at: now });
        if (!accepted) {
          return cb(
            smtpError(
              g.code ?? 450,
              g.message ?? `4.2.0 <${address.address}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.test.html`,
            ),
          );
        }
      }
      cb();
    },
    onData(stream, _session, cb) {
      state.commands.push('DATA');
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.messages.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  };
  if (opts.tls) {
    Object.assign(options, {
      key: opts.tls.key,
      cert: opts.tls.cert,
      minVersion: opts.tls.minVersion ?? 'TLSv1.2',
      maxVersion: opts.tls.maxVersion ?? 'TLSv1.3',
      // OpenSSL 3 refuses TLS 1.0/1.1 handshakes at its default security level (SHA-1 signatures):
      // level 0 lets the server accept them when the set-up asks for them.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
  }
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, state.host, () => resolve());
  });
  state.port = (server.server.address() as { port: number }).port;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

export type RawBehaviour =
  | 'stall'
  | 'garbage'
  | 'garbage-after-ehlo'
  | 'close'
  | 'slow-multiline'
  | 'stall-after-ehlo'
  | 'close-after-ehlo'
  | 'broken-starttls';

export interface RawServer {
  host: '127.0.0.1';
  port: number;
  connections: number;
  received: string[];
  stop(): Promise<void>;
}

/**
 * Misbehaving servers: 'stall' accepts and says nothing; 'garbage' sends random bytes instead of a
 * greeting; 'garbage-after-ehlo' greets properly then answers EHLO with non-SMTP text; 'close'
 * hangs up right after accepting; 'slow-multiline' sends a greeting that never ends;
 * 'stall-after-ehlo' / 'close-after-ehlo' answer EHLO, then never reply / hang up on the next command;
 * 'broken-starttls' is a minimal SMTP server that offers STARTTLS, says 220 to it, then sends
 * garbage instead of a TLS handshake (and answers MAIL/RCPT/RSET/QUIT normally in plaintext).
 */
export async function startRawServer(behaviour: RawBehaviour): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const state: RawServer = { host: '127.0.0.1', port: 0, connections: 0, received: [], stop: async () => undefined };
  const server: Server = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => state.received.push(d.toString('latin1')));
    switch (behaviour) {
      case 'stall':
        break;
      case 'garbage':
        s.write(Buffer.from('\x16\x03\x01\x00\xa5garbage \xff\xfe not smtp\r\nHTTP/1.1 400 Bad Request\r\n\r\n', 'latin1'));
        break;
      case 'garbage-after-ehlo':
        s.write('220 mx.example.test ESMTP\r\n');
        s.once('data', () => s.write('<html>hello</html>\r\n'));
        break;
      case 'close':
        s.destroy();
        break;
      case 'slow-multiline':
        s.write('220-mx.example.test first line\r\n220-second line\r\n');
        break;
      case 'stall-after-ehlo':
      case 'close-after-ehlo': {
        s.write('220 mx.example.test ESMTP\r\n');
        let n = 0;
        s.on('data', () => {
          if (n++ === 0) s.write('250-mx.example.test\r\n250 PIPELINING\r\n');
          else if (behaviour === 'close-after-ehlo') s.destroy();
        });
        break;
      }
      case 'broken-starttls': {
        s.write('220 mx.example.test ESMTP\r\n');
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString('latin1');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).replace(/\r$/, '').toUpperCase();
            buf = buf.slice(nl + 1);
            if (line.startsWith('EHLO')) s.write('250-mx.example.test\r\n250 STARTTLS\r\n');
            else if (line === 'STARTTLS') {
              s.write('220 2.0.0 Ready to start TLS\r\n');
              s.end('this is not a TLS ServerHello\r\n');
            } else if (line.startsWith('QUIT')) s.end('221 2.0.0 Bye\r\n');
            else s.write('250 2.0.0 Ok\r\n');
          }
        });
        break;
      }
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as { port: number }).port;
  state.stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}
