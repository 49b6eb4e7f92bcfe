/**
 * Access to the real services started by scripts/services.sh (rbldnsd, Postfix + postgrey, Rspamd).
 * Outside CI a missing service skips its e2e tests with the reason; in CI (CI=true) it fails them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICES_DIR = process.env.MAILPACE_SERVICES_DIR ?? join(process.cwd(), '.state', 'services');

export function serviceEnv(name: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(SERVICES_DIR, `${name}.env`), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * For `test(name, { skip: serviceSkip('rspamd') }, …)`: false when the service is up; a reason string
 * when it is not (outside CI). In CI a missing service throws, so the suite fails instead of skipping.
 */
export function serviceSkip(name: string): false | string {
  if (serviceEnv(name)) return false;
  const reason = `${name} is not running: start it with scripts/services.sh start (needs the Debian package)`;
  if (process.env.CI) throw new Error(`e2e: ${reason}`);
  return reason;
}
