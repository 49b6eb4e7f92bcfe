import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { UndiciHttpClient } from '../../../src/core/http/undici-http-client.js';
import { HttpError } from '../../../src/core/http/http-error.js';
import { expectOk, jsonBody } from '../../../src/core/http/http-client.js';
import { closedPort } from './fake-rspamd.js';

let server: Server;
let base = '';
let connections = 0;
let raw: TcpServer;
let rawBase = '';
const rawSockets = new Set<Socket>();

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      switch (req.url) {
        case '/echo':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, rcpt: req.headersDistinct['rcpt'], body: Buffer.concat(chunks).toString() }));
          return;
        case '/teapot':
          res.writeHead(418);
          res.end('short and stout');
          return;
        case '/big':
          res.writeHead(200);
          res.end(Buffer.alloc(64 * 1024, 97));
          return;
        case '/slow-body':
          res.writeHead(200, { 'content-length': '10' });
          res.write('12345'); // the rest never comes
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // a server whose reply lies about its length, then closes
  raw = createTcpServer((s) => {
    rawSockets.add(s);
    s.on('error', () => undefined);
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
  rawBase = `http://127.0.0.1:${(raw.address() as { port: number }).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  for (const s of rawSockets) s.destroy();
  await new Promise<void>((r) => raw.close(() => r()));
});

test('requests reuse pooled keep-alive connections; repeated header names are sent as separate lines', async () => {
  const http = new UndiciHttpClient({ connections: 2 });
  const before = connections;
  for (let i = 0; i < 5; i++) {
    const res = await http.request({ url: `${base}/echo`, method: 'POST', headers: [['Rcpt', 'a@x.example'], ['Rcpt', 'b@x.example']], body: `m${i}`, timeoutMs: 1000 });
    assert.deepEqual(jsonBody(expectOk(res, `${base}/echo`), `${base}/echo`), { method: 'POST', rcpt: ['a@x.example', 'b@x.example'], body: `m${i}` });
  }
  // more parallel requests than connections: they queue on the pool rather than open more sockets
  await Promise.all(Array.from({ length: 10 }, () => http.request({ url: `${base}/echo`, method: 'GET', timeoutMs: 1000 })));
  // 15 requests, never more sockets than the pool size
  assert.ok(connections - before <= 2, `opened ${connections - before} connections`);
  await http.close();
});

test('statuses are replies, not errors; expectOk and jsonBody type the failures', async () => {
  const http = new UndiciHttpClient();
  const res = await http.request({ url: `${base}/teapot`, method: 'GET', timeoutMs: 1000 });
  assert.equal(res.status, 418);
  assert.throws(() => expectOk(res, 'u'), (e: HttpError) => e.code === 'HTTP_STATUS' && e.status === 418 && e.temporary === false && /short and stout/.test(e.message));
  assert.throws(() => jsonBody(res, 'u'), (e: HttpError) => e.code === 'HTTP_BAD_JSON');
  await http.close();
});

test('body size limit, timeouts mid-body, lying Content-Length, refused connections, bad URLs', async () => {
  const http = new UndiciHttpClient();
  await assert.rejects(http.request({ url: `${base}/big`, method: 'GET', timeoutMs: 1000, maxBodyBytes: 1000 }), (e: HttpError) => e.code === 'HTTP_TOO_LARGE');
  await assert.rejects(http.request({ url: `${base}/slow-body`, method: 'GET', timeoutMs: 150 }), (e: HttpError) => e.code === 'HTTP_TIMEOUT');
  await assert.rejects(http.request({ url: `${rawBase}/`, method: 'GET', timeoutMs: 1000 }), (e: HttpError) => e.code === 'HTTP_PROTOCOL');
  const port = await closedPort();
  await assert.rejects(http.request({ url: `http://127.0.0.1:${port}/`, method: 'GET', timeoutMs: 1000 }), (e: HttpError) => e.code === 'HTTP_UNREACHABLE' && e.temporary);
  await assert.rejects(http.request({ url: 'mailto:a@example.com', method: 'GET', timeoutMs: 1000 }), (e: HttpError) => e.code === 'HTTP_BAD_URL');
  await assert.rejects(http.request({ url: '::', method: 'GET', timeoutMs: 1000 }), (e: HttpError) => e.code === 'HTTP_BAD_URL');
  await http.close();
});
