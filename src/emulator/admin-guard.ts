/**
 * Who may use the emulator's admin API (/__emulator/...). It registers versions and injects faults with no
 * Databricks credentials, so a web page open in the developer's browser must not reach it: a cross-origin POST with
 * `Content-Type: text/plain` needs no CORS preflight, and the emulator answers no CORS at all, so the browser would
 * send it and only hide the answer. Writes are therefore refused when the browser says they come from another site
 * (Sec-Fetch-Site) or another origin (Origin). Tools (curl, tests, the chaos harness) send neither header.
 *
 * With an admin token (EMULATOR_ADMIN_TOKEN or --admin-token), every admin call, reads included, must also send it in
 * the X-Emulator-Admin-Token header: for an emulator that listens beyond loopback.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const ADMIN_TOKEN_HEADER = 'x-emulator-admin-token';
export const ADMIN_TOKEN_VARIABLE = 'EMULATOR_ADMIN_TOKEN';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Why an admin request is refused (403), or undefined when it may go on. Never repeats a token. */
export function adminRequestProblem(
  headers: IncomingHttpHeaders,
  method: string,
  adminToken: string | undefined,
): string | undefined {
  if (adminToken !== undefined) {
    const presented = headers[ADMIN_TOKEN_HEADER];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(adminToken)))
      return `The emulator's admin API needs the ${ADMIN_TOKEN_HEADER} header with the admin token.`;
  }
  if (method === 'GET' || method === 'HEAD') return undefined;
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    return `The emulator's admin API refuses writes from a web page of another site (Sec-Fetch-Site: ${site === 'same-site' ? 'same-site' : 'cross-site'}).`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${headers.host ?? ''}`)
    return "The emulator's admin API refuses writes from another origin; call it from a tool (curl, a test), not a web page.";
  return undefined;
}
