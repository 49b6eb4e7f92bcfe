/**
 * A stand-in for Rspamd's HTTP protocol on 127.0.0.1:0, for integration and CLI tests: answers
 * /ping and /checkv2 like a normal worker, records every request (headers in order, body), counts
 * connections and requests in flight, and misbehaves on demand (HTTP errors, bad JSON, hangs,
 * dropped connections, bytes that are not HTTP).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export type FakeMode = 'ok' | 'status500' | 'badjson' | 'hang' | 'unauthorized' | 'close' | 'notcheckv2' | 'empty';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Header lines as sent: [name, value] in order (repeated names kept). */
  headers: [string, string][];
  body: Buffer;
}

export interface FakeRspamdOptions {
  mode?: FakeMode;
  /** Password a /checkv2 must carry (like a controller worker). */
  password?: string;
  /** Reply to build for an ok /checkv2. */
  reply?: (req: RecordedRequest) => unknown;
  /**
   * Hold every /checkv2 reply until this many requests are in flight at once (or `gateTotal`
   * requests have arrived, for the tail): proves concurrency without timing anything.
   */
  gate?: number;
  gateTotal?: number;
}

/** Rspamd-like reply: a score that depends on the message, so concurrent answers can be told apart. */
export function defaultReply(req: RecordedRequest): unknown {
  const size = req.body.length;
  return {
    is_skipped: false,
    score: Math.round(size / 10) / 100,
    required_score: 15,
    action: size > 600 ? 'add header' : 'no action',
    symbols: {
      MISSING_MID: { name: 'MISSING_MID', score: 2.5, metric_score: 2.5, description: 'Message id is missing' },
      R_SPF_ALLOW: { name: 'R_SPF_ALLOW', score: -0.2, metric_score: -0.2, description: 'SPF verification allows sending', options: ['+ip4:192.0.2.10'] },
      ARC_NA: { name: 'ARC_NA', score: 0, metric_score: 0, description: 'ARC signature absent' },
      SIZE_BYTES: { name: 'SIZE_BYTES', score: 0, metric_score: 0, options: [String(size)] },
    },
    messages: {},
    'message-id': 'fake@example.com',
    time_real: 0.001,
  };
}

export class FakeRspamd {
  readonly requests: RecordedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  connections = 0;
  private server?: Server;
  private waiting: (() => void)[] = [];
  port = 0;

  constructor(public opts: FakeRspamdOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', () => this.connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks) };
    this.requests.push(rec);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.opts.gate && rec.path === '/checkv2') await this.passGate();
      const mode = this.opts.mode ?? 'ok';
      if (mode === 'hang') return; // never answers; stop() closes the socket
      if (mode === 'close') {
        res.socket?.destroy();
        return;
      }
      if (this.opts.password !== undefined && rec.path !== '/ping') {
        const pw = headers.find(([k]) => k.toLowerCase() === 'password')?.[1];
        if (pw !== this.opts.password) return this.json(res, 403, { error: 'Unauthorized' });
      }
      if (mode === 'unauthorized') return this.json(res, 401, { error: 'Unauthorized' });
      if (mode === 'status500') return this.json(res, 500, { error: 'invalid command', error_domain: 'protocol-error' });
      if (rec.path === '/ping') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('pong\r\n');
        return;
      }
      if (rec.path !== '/checkv2' || rec.method !== 'POST') return this.json(res, 404, { error: 'invalid command' });
      if (mode === 'badjson') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"score": 1.0, "action": "no act');
        return;
      }
      if (mode === 'empty') {
        res.writeHead(200);
        res.end();
        return;
      }
      if (mode === 'notcheckv2') return this.json(res, 200, { status: 'ok', version: '3.4' });
      this.json(res, 200, (this.opts.reply ?? defaultReply)(rec));
    } finally {
      this.inFlight--;
    }
  }

  private passGate(): Promise<void> {
    const open = () => this.inFlight >= this.opts.gate! || this.requests.filter((r) => r.path === '/checkv2').length >= (this.opts.gateTotal ?? Infinity);
    if (open()) {
      for (const w of this.waiting.splice(0)) w();
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** A TCP server on 127.0.0.1:0 that answers every connection with bytes that are not HTTP. */
export async function startGarbageServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.once('data', () => s.end('SSH-2.0-OpenSSH_9.2 not http at all\r\n\x00\x01\x02'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port on 127.0.0.1 with nothing listening: bound, then closed. */
export async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
