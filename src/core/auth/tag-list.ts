/**
 * DKIM-style tag=value lists (RFC 6376 §3.2), as in DKIM-Signature, ARC-Seal and
 * ARC-Message-Signature (RFC 8617 §4.1). Keys are case-sensitive in DKIM but we only read
 * lower-case ones; white space inside values (folding, base64 wrapping) is removed.
 */
export function parseTagList(value: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!tags.has(key)) tags.set(key, part.slice(eq + 1).replace(/[ \t\r\n]+/g, ''));
  }
  return tags;
}
