/**
 * The reply inside an MTA's failure text: "SMTP error from remote mail server after RCPT TO:<a@b>:
 * 550 5.1.1 user unknown" (Exim), "host h[ip] said: 450 … (in reply to RCPT TO command)" (Postfix)
 * → code, stage and the reply itself; a failure without any reply is a network error.
 */
import type { MonitorEvent } from './events.js';

const AFTER: Record<string, MonitorEvent['stage']> = {
  'MAIL FROM': 'mail',
  'RCPT TO': 'rcpt',
  'DATA': 'data',
  'end of data': 'message',
  'pipelined DATA': 'data',
  'initial connection': 'greeting',
  'EHLO': 'ehlo',
  'HELO': 'ehlo',
  'STARTTLS': 'starttls',
};

export function splitSmtpText(reason: string): Pick<MonitorEvent, 'reply' | 'code' | 'stage' | 'networkError'> {
  const after = /SMTP error from remote mail server after (?:<?(pipelined DATA|initial connection|end of data|MAIL FROM|RCPT TO|DATA|EHLO|HELO|STARTTLS)[^:]*?)(?::<[^>]*>)?(?: [^:]*)?: (.*)$/.exec(reason);
  const text = after ? after[2]! : reason;
  const code = /^([245]\d\d)[ -]/.exec(text);
  const out: Pick<MonitorEvent, 'reply' | 'code' | 'stage' | 'networkError'> = { reply: text };
  if (after && AFTER[after[1]!]) out.stage = AFTER[after[1]!];
  if (code) out.code = Number(code[1]);
  else if (/Connection refused|Connection timed out|timed out|Network is unreachable|No route to host|all hosts for .* have been failing|retry time not reached|all relevant MX records point to non-existent hosts|lowest numbered MX record points to local host/i.test(text)) {
    out.networkError = text;
  }
  return out;
}
