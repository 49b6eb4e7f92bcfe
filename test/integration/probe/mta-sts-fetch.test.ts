/**
 * The MTA-STS policy fetcher against a real HTTPS server on 127.0.0.1: names go through the
 * fixture DNS server (never node:dns), the certificate is verified, redirects are not followed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { httpsPolicyFetcher } from '../../../src/core/probe/mta-sts.js';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { makeTestPki, type TestPki } from '../../helpers/smtp-server.js';

let pki: TestPki;
let dns: DnsFixtureServer;
let https: Server;
let port: number;
const POLICY = 'version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 86400\n';

before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer({ 'mta-sts.sts.test': { A: ['127.0.0.1'] }, 'mta-sts.noaddr.test': { TXT: ['x'] } });
  const pair = await pki.issue('mta-sts.sts.test');
  https = createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    if (req.url === '/.well-known/mta-sts.txt' && req.headers.host === 'mta-sts.sts.test') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(POLICY);
    } else if (req.url === '/big') res.writeHead(200).end('x'.repeat(200_000));
    else res.writeHead(301, { location: 'https://elsewhere.test/' }).end();
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
  port = (https.address() as { port: number }).port;
});
after(async () => {
  https.closeAllConnections();
  await new Promise((r) => https.close(r));
  await dns.stop();
  await pki.cleanup();
});

const resolver = () => new SocketResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 1000 });

test('fetches the policy over HTTPS, resolving the host through the Resolver and checking the certificate', async () => {
  const before = dns.count('mta-sts.sts.test', 'A');
  const fetch = httpsPolicyFetcher({ resolver: resolver(), timeoutMs: 2000, ca: [pki.caPem], portOverride: port });
  const r = await fetch('https://mta-sts.sts.test/.well-known/mta-sts.txt');
  assert.equal(r.status, 200);
  assert.equal(r.body, POLICY);
  assert.equal(r.contentType, 'text/plain');
  assert.equal(dns.count('mta-sts.sts.test', 'A'), before + 1);
});

test('redirects are returned, not followed (RFC 8461 §3.3); big bodies are cut at 64 KiB', async () => {
  const fetch = httpsPolicyFetcher({ resolver: resolver(), timeoutMs: 2000, ca: [pki.caPem], portOverride: port });
  const r = await fetch('https://mta-sts.sts.test/elsewhere');
  assert.equal(r.status, 301);
  const big = await fetch('https://mta-sts.sts.test/big');
  assert.ok(big.body.length > 64 * 1024 && big.body.length < 200_000, String(big.body.length));
});

test('an untrusted certificate or an unresolvable host fails the fetch', async () => {
  const untrusted = httpsPolicyFetcher({ resolver: resolver(), timeoutMs: 2000, portOverride: port });
  await assert.rejects(untrusted('https://mta-sts.sts.test/.well-known/mta-sts.txt'));
  const fetch = httpsPolicyFetcher({ resolver: resolver(), timeoutMs: 2000, ca: [pki.caPem], portOverride: port });
  await assert.rejects(fetch('https://mta-sts.noaddr.test/.well-known/mta-sts.txt'), (e: Error & { cause?: { code?: string } }) => {
    return /ENOTFOUND|no A\/AAAA/.test(`${e.message} ${e.cause?.code ?? ''} ${(e.cause as Error | undefined)?.message ?? ''}`);
  });
});
