/**
 * `send`'s DKIM signatures checked by an independent verifier: Debian's python3-dkim (dkimpy),
 * which shares no code with mailauth. Its DNS lookups go to a dnsfunc that answers from the records
 * given here, so nothing leaves the machine. The records are written exactly as the
 * DKIM_KEY_NOT_PUBLISHED fix tells users to publish them.
 *
 * Outside CI a missing python3-dkim skips these tests with the reason; in CI (CI=true) it fails them,
 * as test/helpers/services.ts does for the Debian services.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FakeClock } from '../../src/core/clock.js';
import { composeMessage, readMessage } from '../../src/core/delivery/message.js';
import { parseDkimPrivateKey, signDkim, type DkimPrivateKey } from '../../src/core/delivery/dkim-sign.js';

/** Debian's interpreter first: a python3 earlier on PATH (pyenv, a venv) lacks Debian's dist-packages. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

function findPythonDkim(): string | undefined {
  for (const py of PYTHONS) {
    // dkim needs nacl for ed25519 (RFC 8463); python3-dkim depends on python3-nacl.
    const r = spawnSync(py, ['-c', 'import dkim, nacl'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

const python = findPythonDkim();
function dkimpySkip(): false | string {
  if (python) return false;
  const reason = 'python3-dkim is not installed (apt-get install python3-dkim): the independent DKIM verifier is missing';
  if (process.env.CI) throw new Error(`e2e: ${reason}`);
  return reason;
}
const skip = dkimpySkip();

/** Verifies every DKIM-Signature of the message with dkimpy; one result per signature, top first. */
const VERIFY_PY = `
import sys, json, base64, dkim
data = json.load(sys.stdin)
message = base64.b64decode(data['message'])
records = {k.rstrip('.').lower(): v.encode('ascii') for k, v in data['records'].items()}
def dnsfunc(name, timeout=5):
    n = name.decode('ascii') if isinstance(name, bytes) else name
    return records.get(n.rstrip('.').lower())
d = dkim.DKIM(message)
count = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
out = []
for i in range(count):
    try:
        out.append({'ok': bool(d.verify(idx=i, dnsfunc=dnsfunc)), 'error': None})
    except Exception as e:
        out.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
print(json.dumps(out))
`;

function dkimpyVerify(message: Buffer, records: Record<string, string>): { ok: boolean; error: string | null }[] {
  const r = spawnSync(python!, ['-c', VERIFY_PY], {
    input: JSON.stringify({ message: message.toString('base64'), records }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// dkimpy refuses t= in the future of its own clock (dkim/__init__.py validate_signature_fields), so sign in the past.
const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);
const deps = () => ({ clock: new FakeClock(T0) });

const keys: Record<'rsa' | 'ed25519', DkimPrivateKey> = {
  rsa: parseDkimPrivateKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
  ed25519: parseDkimPrivateKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
};
const record = (k: DkimPrivateKey) => `v=DKIM1; k=${k.type}; p=${k.publicKeyB64}`;
const records = {
  'rsa2025._domainkey.example.com': record(keys.rsa),
  'ed2025._domainkey.example.com': record(keys.ed25519),
};

const compose = () =>
  composeMessage(deps(), {
    from: 'Ann Example <ann@example.com>',
    to: ['bob@example.net', 'carol@example.org'],
    subject: 'Prüfung of the signature',
    text: 'Hello,\n\nthe body has trailing spaces   \nand empty lines at the end.\n\n\n',
    html: '<p>Hello,</p>\n<p>HTML part</p>',
    headers: { 'List-Unsubscribe': '<mailto:unsub@example.com?subject=unsubscribe>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    attachments: [{ filename: 'report.csv', content: Buffer.from('a,b\n1,2\n') }],
  });

for (const [type, selector] of [
  ['rsa', 'rsa2025'],
  ['ed25519', 'ed2025'],
] as const) {
  test(`dkimpy verifies a composed message signed with ${keys[type].algorithm}`, { skip }, async () => {
    const m = await compose();
    const s = await signDkim(deps(), m.raw, { key: keys[type], selector, fromDomain: m.from.domain });
    assert.deepEqual(dkimpyVerify(s.raw, records), [{ ok: true, error: null }]);
  });

  test(`dkimpy verifies a message read from an LF file and signed with ${keys[type].algorithm}`, { skip }, async () => {
    const input = readFileSync(new URL('../fixtures/messages/delivery/lf-no-message-id.eml', import.meta.url));
    const m = await readMessage(deps(), input, { name: 'lf-no-message-id.eml' });
    const s = await signDkim(deps(), m.raw, { key: keys[type], selector, fromDomain: m.from.domain });
    assert.deepEqual(dkimpyVerify(s.raw, records), [{ ok: true, error: null }]);
  });

  test(`dkimpy fails a ${type} signature after a From is added (oversigned) or the body is changed`, { skip }, async () => {
    const m = await compose();
    const s = await signDkim(deps(), m.raw, { key: keys[type], selector, fromDomain: m.from.domain });
    // dkimpy counts one From more than h= names whatever the signer did (its fix for Debian bug
    // #644046), so this shows our doubled From in h= is read as RFC 6376 §5.4.2 means it; that the
    // oversigning itself protects is shown with mailauth, which adds no From of its own
    // (test/integration/delivery/dkim-sign.test.ts).
    const addedFrom = Buffer.concat([Buffer.from('From: Attacker <ceo@example.com>\r\n'), s.raw]);
    assert.equal(dkimpyVerify(addedFrom, records)[0]!.ok, false);
    const changed = Buffer.from(s.raw.toString('latin1').replace('HTML part', 'HTML bait'), 'latin1');
    assert.equal(dkimpyVerify(changed, records)[0]!.ok, false);
    // and an unsigned trace field does not matter, as in transit
    const received = Buffer.concat([Buffer.from('Received: from a.example.net by b.example.net; Wed, 15 Jan 2025 09:30:01 +0000\r\n'), s.raw]);
    assert.equal(dkimpyVerify(received, records)[0]!.ok, true);
  });
}

test('dkimpy verifies both signatures when a message is signed with rsa and ed25519 (RFC 8463 §6: dual signing)', { skip }, async () => {
  const m = await compose();
  const first = await signDkim(deps(), m.raw, { key: keys.rsa, selector: 'rsa2025', fromDomain: m.from.domain });
  const both = await signDkim(deps(), first.raw, { key: keys.ed25519, selector: 'ed2025', fromDomain: m.from.domain });
  assert.deepEqual(dkimpyVerify(both.raw, records), [
    { ok: true, error: null },
    { ok: true, error: null },
  ]);
});
