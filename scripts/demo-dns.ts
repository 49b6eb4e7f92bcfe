/**
 * Serves a zone file (JSON, the fixture format of test/helpers/dns-server.ts) on loopback, for trying
 * mailpace-cli without touching real DNS:
 *   node --import tsx scripts/demo-dns.ts [zone.json]      # prints 127.0.0.1:<port>
 *   mailpace-cli check-domain example.com --dns 127.0.0.1:<port>
 */
import { readFileSync } from 'node:fs';
import { DnsFixtureServer } from '../test/helpers/dns-server.js';

const file = process.argv[2] ?? 'test/fixtures/zones/demo.json';
const zone = JSON.parse(readFileSync(file, 'utf8'));
const srv = await new DnsFixtureServer(zone).start();
console.log(srv.address);
