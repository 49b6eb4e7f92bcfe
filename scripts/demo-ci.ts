/**
 * The servers behind the README's `ci` examples, on loopback: a fixture DNS server with the `ci` test
 * zone (test/helpers/ci-fixture.ts) and a fake MX that refuses rcpt-refused.ci.test's postmaster.
 *   node --import tsx scripts/demo-ci.ts     # prints the flags to add to `mailpace-cli ci`
 * --probe-port (a test-only flag) points the recipient probes at the fake MX instead of port 25.
 */
import { startDnsServer } from '../test/helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../test/helpers/keys.js';
import { ciZone } from '../test/helpers/ci-fixture.js';
import { makeTestPki, startFakeMx } from '../test/helpers/smtp-server.js';

const pki = await makeTestPki();
const dns = await startDnsServer(ciZone(rsaPublicKeyB64(2048)));
const mx = await startFakeMx({
  tls: { ...pki.good, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
  rcptReplies: { 'postmaster@rcpt-refused.ci.test': { code: 550, message: '5.1.1 <postmaster@rcpt-refused.ci.test>: Recipient address rejected' } },
});
console.log(`--dns ${dns.address} --probe-port ${mx.port} --ca-file ${pki.caFile} --helo ci.example.net`);
const stop = async () => {
  await mx.stop();
  await dns.stop();
  await pki.cleanup();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
