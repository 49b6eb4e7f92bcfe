/**
 * An HTTPS server on 127.0.0.1 port 0 for the MTA-STS and BIMI tests: routes by Host + path, a
 * certificate per SNI name (to serve a wrong or self-signed certificate for one host), and replies
 * that misbehave: stall before the headers, stall mid-body, stream a large body in chunks.
 *
 * Certificates come from the probe tests' throw-away CA (makeTestPki in smtp-server.ts); issueLeaf()
 * signs further leaves with that same CA for the names these tests need.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KeyPair, TestPki } from './smtp-server.js';

const run = promisify(execFile);

export interface IssueOptions {
  /** Validity as openssl ca dates (YYYYMMDDHHMMSSZ); default: from now for 90 days. */
  startDate?: string;
  endDate?: string;
  /** Extra lines for the extension file, e.g. "1.3.6.1.5.5.7.1.12=DER:3000" (a logotype extension). */
  extensions?: string[];
}

let counter = 0;

/** Signs a new leaf for `names` (DNS SANs) with the test CA of makeTestPki(). */
export async function issueLeaf(pki: TestPki, names: string[], opts: IssueOptions = {}): Promise<KeyPair> {
  const id = `https-${process.pid}-${++counter}`;
  const ext = [`subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, 'basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth', ...(opts.extensions ?? [])];
  await writeFile(join(pki.dir, `${id}.ext`), `${ext.join('\n')}\n`);
  await run('openssl', ['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${names[0]}`, '-out', `${id}.csr`], { cwd: pki.dir });
  const validity = opts.startDate && opts.endDate ? ['-startdate', opts.startDate, '-enddate', opts.endDate] : ['-days', '90'];
  await run('openssl', ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${id}.csr`, '-out', `${id}.pem`, '-extfile', `${id}.ext`, ...validity], { cwd: pki.dir });
  return { key: await readFile(join(pki.dir, 'leaf.key'), 'utf8'), cert: await readFile(join(pki.dir, `${id}.pem`), 'utf8') };
}

export interface HttpsReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** "headers": never answer; "body": send the headers and part of the body, then nothing. */
  stall?: 'headers' | 'body';
  /** Send the body in chunks of this size with chunked encoding (no Content-Length). */
  chunkSize?: number;
}

export interface HttpsFixtureServer {
  port: number;
  /** Requests seen: host (without port) and path. */
  log: { host: string; path: string }[];
  stop(): Promise<void>;
}

export interface HttpsServerOptions {
  /** The default certificate. */
  cert: KeyPair;
  /** Certificates by SNI server name. */
  sni?: Record<string, KeyPair>;
  /** Replies keyed "host/path", e.g. "mta-sts.example.test/.well-known/mta-sts.txt". Others get 404. */
  routes: Record<string, HttpsReply>;
}

export async function startHttpsServer(opts: HttpsServerOptions): Promise<HttpsFixtureServer> {
  const contexts = new Map(Object.entries(opts.sni ?? {}).map(([name, kp]) => [name, createSecureContext({ key: kp.key, cert: kp.cert })]));
  const log: { host: string; path: string }[] = [];
  const server: Server = createServer(
    {
      key: opts.cert.key,
      cert: opts.cert.cert,
      SNICallback: (servername, cb) => cb(null, contexts.get(servername)),
    },
    (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const path = req.url ?? '/';
      log.push({ host, path });
      const reply = opts.routes[`${host}${path}`];
      if (!reply) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      if (reply.stall === 'headers') return;
      const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : (reply.body ?? Buffer.alloc(0));
      if (reply.stall === 'body') {
        res.writeHead(reply.status ?? 200, { 'content-length': String(body.length + 100), ...reply.headers });
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        return;
      }
      if (reply.chunkSize) {
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        for (let i = 0; i < body.length; i += reply.chunkSize) res.write(body.subarray(i, i + reply.chunkSize));
        res.end();
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-length': String(body.length), ...reply.headers });
      res.end(body);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
