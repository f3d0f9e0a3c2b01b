import { withDeadline } from '../../client/calls/deadline';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { send, type HttpListener } from './http-listener';

/** A name no flag has: readiness reads it, and the store answering "absent" is the answer wanted. */
const PROBE_FLAG = '__flipper_readyz__';

export interface ProbeOptions {
  store: FeatureFlagStore;
  /** How long the store may take to answer `/readyz`. Default 1000 ms. */
  deadlineMs?: number;
  /** True once the server is shutting down: not ready, so load balancers stop sending calls. */
  closing(): boolean;
}

/**
 * `/healthz`: the process answers (a liveness probe: restart when it does not). `/readyz`: the
 * store answers a read within the deadline and the server is not shutting down (a readiness
 * probe: send calls only while it says 200); otherwise 503 with the reason as the body.
 */
export function addProbes(listener: HttpListener, options: ProbeOptions): void {
  const deadlineMs = options.deadlineMs ?? 1000;
  listener.get('/healthz', (_request, response) => send(response, 200, 'ok\n'));
  listener.get('/readyz', async (_request, response) => {
    if (options.closing()) return send(response, 503, 'not ready: shutting down\n');
    try {
      await withDeadline(options.store.get(PROBE_FLAG), deadlineMs, 'the store');
      send(response, 200, 'ok\n');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      send(response, 503, `not ready: ${reason.replace(/\s*\n\s*/g, ' ')}\n`);
    }
  });
}
