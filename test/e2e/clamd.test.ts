/**
 * The clamd client against Debian's real clamd, started by scripts/services/clamd.sh with a database of
 * EICAR test signatures only (freshclam cannot run offline). Over TCP and over the unix socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import MailComposer from 'nodemailer/lib/mail-composer';
import { ClamdError, scanWithClamd, type ClamdTarget } from '../../src/core/delivery/clamd.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('clamd');
const env = serviceEnv('clamd') ?? {};
const tcp: ClamdTarget = { host: env.CLAMD_HOST ?? '127.0.0.1', port: Number(env.CLAMD_PORT) };
const unix: ClamdTarget = { socketPath: env.CLAMD_SOCKET ?? '' };
const opts = { timeoutMs: 20_000 };

// The EICAR anti-virus test file (eicar.org), assembled at run time so this source file is not itself
// quarantined by a scanner on a developer's machine.
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR' + '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
// scripts/services/clamd.sh names its signatures Mailpace.Test.EICAR(.Hash); clamd appends .UNOFFICIAL
// to names from a database that is not ClamAV's own.
const OUR_SIGNATURE = /^Mailpace\.Test\.EICAR(\.Hash)?\.UNOFFICIAL$/;

function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer({ from: 'team@example.com', to: 'bob@example.net', subject: 'Your invoice', ...mail }).compile().build();
}

async function found(target: ClamdTarget, message: Buffer): Promise<string> {
  const v = await scanWithClamd(target, message, opts);
  assert.equal(v.clean, false, 'expected a detection');
  if (v.clean) throw new Error('unreachable');
  return v.signature;
}

test('a clean message is clean (TCP and unix socket)', { skip }, async () => {
  const msg = await compose({ text: 'Hello Bob,\n\nyour invoice is attached.\n', attachments: [{ filename: 'invoice.txt', content: 'Total: 12.00 EUR\n' }] });
  assert.deepEqual(await scanWithClamd(tcp, msg, opts), { clean: true });
  assert.deepEqual(await scanWithClamd(unix, msg, opts), { clean: true });
});

test('the EICAR string in the body is FOUND with a signature name (TCP and unix socket)', { skip }, async () => {
  const msg = await compose({ text: `Test of the scanner:\n${EICAR}\n` });
  assert.ok(msg.includes(EICAR), 'the string is in the raw message');
  assert.match(await found(tcp, msg), OUR_SIGNATURE);
  assert.match(await found(unix, msg), OUR_SIGNATURE);
});

test('EICAR as a base64 attachment is FOUND: clamd decodes MIME (ScanMail yes)', { skip }, async () => {
  const msg = await compose({
    text: 'See attachment.\n',
    attachments: [{ filename: 'eicar.com', content: Buffer.from(EICAR), contentType: 'application/octet-stream' }],
  });
  assert.ok(!msg.includes(EICAR), 'only the base64 form is in the raw message');
  assert.ok(msg.includes(Buffer.from(EICAR).toString('base64').slice(0, 40)));
  assert.match(await found(tcp, msg), OUR_SIGNATURE);
  assert.match(await found(unix, msg), OUR_SIGNATURE);
});

test('EICAR inside a larger base64 attachment, lines folded at 76, is FOUND', { skip }, async () => {
  const content = Buffer.from(`${'report line\n'.repeat(2000)}${EICAR}\n${'more lines\n'.repeat(2000)}`);
  const msg = await compose({ text: 'Quarterly report attached.\n', attachments: [{ filename: 'report.txt', content, contentType: 'text/plain' }] });
  assert.ok(!msg.includes(EICAR));
  assert.match(await found(tcp, msg), OUR_SIGNATURE);
});

test('a 5 MiB clean message streams in 64 KiB chunks and is clean', { skip }, async () => {
  const content = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7919) & 0xff;
  const msg = await compose({ text: 'Backup attached.\n', attachments: [{ filename: 'backup.bin', content }] });
  assert.deepEqual(await scanWithClamd(tcp, msg, opts), { clean: true });
});

test('a message over StreamMaxLength → CLAMD_SIZE_LIMIT from the real clamd', { skip }, async () => {
  const limit = Number(env.CLAMD_STREAM_MAX_LENGTH);
  assert.ok(limit > 0, 'clamd.env gives CLAMD_STREAM_MAX_LENGTH');
  const big = Buffer.alloc(limit + 4 * 1024 * 1024, 0x61);
  for (const target of [tcp, unix]) {
    await assert.rejects(scanWithClamd(target, big, opts), (err: unknown) => {
      assert.ok(err instanceof ClamdError, String(err));
      assert.equal(err.code, 'CLAMD_SIZE_LIMIT', err.message);
      assert.equal(err.temporary, false);
      assert.match(err.reply ?? '', /INSTREAM size limit exceeded/);
      return true;
    });
  }
  // and clamd is still there for the next message
  assert.deepEqual(await scanWithClamd(tcp, Buffer.from('Subject: hi\r\n\r\nhello\r\n'), opts), { clean: true });
});
