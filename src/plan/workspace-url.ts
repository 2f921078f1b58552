/**
 * A plan's workspace host: a bare URL, nothing but scheme, host and port. Everything else a URL can carry is a place
 * a credential hides (`https://user:pw@...`, `?token=dapi...`, `#access_token=...`, `/dapi.../`), and the plan enters
 * workflow history, so it is refused, and the refusal never repeats the value.
 */

/** Host names that are this machine: the only ones a plain-http workspace (the emulator) may use. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Why `value` is not a bare workspace URL, or undefined when it is one. The value itself is never quoted. */
export function workspaceUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the scheme must be https';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    return 'the scheme must be https (http only for a loopback emulator, e.g. http://127.0.0.1:8080)';
  if (url.username || url.password || value.includes('@')) return 'no user or password in the URL';
  if (url.search || value.includes('?')) return 'no query (?...) in the URL';
  if (url.hash || value.includes('#')) return 'no fragment (#...) in the URL';
  if (url.pathname !== '/' && url.pathname !== '') return 'no path in the URL';
  if (value !== value.trim()) return 'no spaces around the URL';
  return undefined;
}

/** The fix shown with every problem. */
export const WORKSPACE_URL_HINT =
  'write the workspace URL, e.g. https://adb-123.4.azuredatabricks.net (scheme and host only)';
