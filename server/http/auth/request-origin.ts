import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for the names a loopback listener is reached by (`127.0.0.1`, `::1`, `localhost`). */
export function isLoopbackName(host: string): boolean {
  return LOOPBACK_NAMES.has(host);
}

/**
 * Why a request comes from another site's page, or undefined when it does not look so: the
 * browser's `Sec-Fetch-Site` must say `same-origin`, and an `Origin` must name this host. A
 * client that sends neither (curl, a script) is no browser a page could drive.
 */
export function crossSiteReason(request: IncomingMessage): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `a ${site} request (Sec-Fetch-Site), not same-origin`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  return host !== undefined && host === request.headers.host ? undefined : 'a request from another origin (Origin)';
}

/** True when the `Host` header names loopback: a page of another site, rebound by DNS to 127.0.0.1, does not. */
export function hasLoopbackHost(request: IncomingMessage): boolean {
  const host = request.headers.host;
  if (host === undefined) return false;
  try {
    return isLoopbackName(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}
