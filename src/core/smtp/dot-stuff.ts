/**
 * The DATA payload (RFC 5321 §4.5.2, §4.1.1.4): every line ends in CRLF, a line that begins with
 * "." gets one more ".", and the data ends with CRLF "." CRLF. Bare LF or CR are turned into CRLF
 * (§2.3.8: they must not appear alone; receivers such as Postfix reject or rewrite them).
 */
const CR = 13;
const LF = 10;
const DOT = 46;

/** A message sent to many recipients is stuffed once (a `--separate` run sends one body thousands of times). */
const stuffed = new WeakMap<Uint8Array, Buffer>();

export function dotStuff(message: Uint8Array): Buffer {
  let out = stuffed.get(message);
  if (!out) {
    out = stuff(message);
    stuffed.set(message, out);
  }
  return out;
}

function stuff(message: Uint8Array): Buffer {
  // Worst case: every byte a lone LF becoming CRLF, plus a dot per line, plus the terminator.
  const out = Buffer.allocUnsafe(message.length * 2 + 5);
  let o = 0;
  let lineStart = true;
  for (let i = 0; i < message.length; i++) {
    const b = message[i]!;
    if (lineStart && b === DOT) out[o++] = DOT;
    if (b === CR) {
      out[o++] = CR;
      out[o++] = LF;
      if (message[i + 1] === LF) i++;
      lineStart = true;
    } else if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
      lineStart = true;
    } else {
      out[o++] = b;
      lineStart = false;
    }
  }
  if (!lineStart) {
    out[o++] = CR;
    out[o++] = LF;
  }
  out[o++] = DOT;
  out[o++] = CR;
  out[o++] = LF;
  return out.subarray(0, o);
}
