import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitingResolver } from '../../../src/core/dns/limiting-resolver.js';
import type { DnsAnswer, RecordType, Resolver } from '../../../src/core/dns/types.js';

/** An inner resolver whose queries finish only when the test says so, counting how many overlap. */
function gatedResolver() {
  let inFlight = 0;
  let max = 0;
  const gates: (() => void)[] = [];
  const inner: Resolver = {
    query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
      if (name.startsWith('throw')) throw new Error('inner threw');
      inFlight++;
      max = Math.max(max, inFlight);
      return new Promise((resolve, reject) => {
        gates.push(() => {
          inFlight--;
          if (name.startsWith('reject')) reject(new Error('inner rejected'));
          else resolve({ name, type, status: 'nxdomain', records: [], cnames: [], ad: false });
        });
      });
    },
  };
  return { inner, gates, max: () => max, inFlight: () => inFlight };
}

const tick = () => new Promise((r) => setImmediate(r));

test('never more than maxInFlight queries reach the inner resolver, and every query is answered', async () => {
  const g = gatedResolver();
  const lim = new LimitingResolver(g.inner, 3);
  const all = Promise.all(Array.from({ length: 20 }, (_, i) => lim.query(`n${i}.test`, 'A')));
  let answered = 0;
  while (answered < 20) {
    await tick();
    assert.ok(g.inFlight() <= 3, `in flight: ${g.inFlight()}`);
    // a new query made while slots are handed over must wait its turn too
    const gate = g.gates.shift();
    if (gate) {
      gate();
      answered++;
      void lim.query(`late${answered}.test`, 'A');
    }
  }
  assert.equal(g.max(), 3);
  assert.equal((await all).length, 20);
});

test('a query that throws or rejects gives its slot back', async () => {
  const g = gatedResolver();
  const lim = new LimitingResolver(g.inner, 1);
  await assert.rejects(lim.query('throw.test', 'A'), /inner threw/);
  const rejected = lim.query('reject.test', 'A');
  const after = lim.query('ok.test', 'A');
  await tick();
  g.gates.shift()!();
  await assert.rejects(rejected, /inner rejected/);
  await tick();
  g.gates.shift()!();
  assert.equal((await after).status, 'nxdomain');
  assert.equal(g.max(), 1);
});
