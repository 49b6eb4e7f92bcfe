/**
 * Preloaded by the test runner: any socket, datagram or DNS use towards an address outside
 * loopback throws, so no test can ever reach the real network (or a public resolver).
 */
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns';

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopback(h.slice(7));
  return false;
}

function refuse(what: string, host: string): never {
  throw new Error(`net-guard: ${what} to non-loopback address "${host}" blocked in tests`);
}

function guardedLookup(original: (...a: any[]) => void) {
  return function (hostname: string, options: any, callback: any) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    // The unspecified addresses are what dgram looks up to bind a socket before its first send.
    if (!isLoopback(hostname) && hostname !== '0.0.0.0' && hostname !== '::') {
      process.nextTick(() => callback(new Error(`net-guard: lookup of "${hostname}" blocked in tests`)));
      return;
    }
    original(hostname, options, callback);
  };
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: any[]) {
  const first = args[0];
  let opts: any;
  if (Array.isArray(first)) opts = first[0];
  else if (typeof first === 'object' && first !== null) opts = first;
  else opts = { port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost' };
  if (opts && opts.path === undefined) {
    const host = opts.host ?? 'localhost';
    if (net.isIP(host)) {
      if (!isLoopback(host)) refuse('connect', host);
    } else if (!isLoopback(host)) {
      // A name: let it resolve through the given lookup, but check every address it yields.
      const inner = opts.lookup ?? dns.lookup;
      opts.lookup = (hostname: string, o: any, cb: any) => {
        inner(hostname, o, (err: any, address: any, family: any) => {
          if (err) return cb(err);
          const list = Array.isArray(address) ? address.map((a: any) => a.address) : [address];
          const bad = list.find((a: string) => !isLoopback(a));
          if (bad) return cb(new Error(`net-guard: ${hostname} resolved to non-loopback ${bad}`));
          cb(null, address, family);
        });
      };
    }
  }
  return (origConnect as any).apply(this, args);
} as any;

const origSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: any[]) {
  // send(msg, [offset, length,] port, [address,] [callback])
  const addr = args.find((a, i) => i > 0 && typeof a === 'string');
  if (addr !== undefined && !isLoopback(addr)) refuse('UDP send', addr);
  if (addr === undefined && !(this as any).__connectedLoopback) {
    const remote = (() => {
      try {
        return this.remoteAddress().address;
      } catch {
        return undefined;
      }
    })();
    if (remote === undefined || !isLoopback(remote)) refuse('UDP send', String(remote ?? '(default host)'));
  }
  return (origSend as any).apply(this, args);
} as any;

const origLookup = dns.lookup;
(dns as any).lookup = guardedLookup(origLookup as any);
dns.promises.lookup = (async (hostname: string, options?: any) => {
  if (!isLoopback(hostname)) throw new Error(`net-guard: lookup of "${hostname}" blocked in tests`);
  return (origLookup as any).__promisified__ ? undefined : new Promise((res, rej) => origLookup(hostname, options ?? {}, (e: any, a: any, f: any) => (e ? rej(e) : res(Array.isArray(a) ? a : { address: a, family: f }))));
}) as any;

// Node's own resolver (c-ares) would use the system nameservers: tests must pass explicit servers.
for (const fn of ['resolve', 'resolve4', 'resolve6', 'resolveMx', 'resolveTxt', 'resolveAny', 'reverse'] as const) {
  (dns.promises as any)[fn] = async () => {
    throw new Error(`net-guard: node:dns ${fn} blocked in tests; use the fixture DNS server`);
  };
}
