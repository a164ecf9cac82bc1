import { AuditorService, coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { RefusedRequests, auditRefusalSummary, ipAccessListRefusals } from './RefusedRequests';
import { auditUnauthenticatedRequests, unauthenticatedRefusals } from './unauthenticatedRefusals';

/** How often refused requests are summarised into one audit event. */
export const REFUSAL_SUMMARY_INTERVAL_MS = 60_000;

/**
 * Writes the requests the IP access list refused since the last call as ONE audit event
 * (`ip-access-refused`, severity medium, outcome failed, meta = the summary); writes nothing when
 * none were refused. Returns whether an event was written.
 */
export function auditRefusedRequests(refusals: RefusedRequests, auditor: AuditorService): Promise<boolean> {
  return auditRefusalSummary(refusals, auditor, 'ip-access-refused', total => new NotAllowedError(`${total} request(s) from outside the IP access list were refused`));
}

/**
 * Backend plugin `network`: the root HTTP router cannot reach a plugin's auditor, so it counts
 * IP access list refusals (./RefusedRequests) and 401 answers (./unauthenticatedRefusals), and
 * this plugin writes them to the audit trail, one summary event of each kind per minute with
 * refusals, and a last one at shutdown.
 */
export function createNetworkAuditPlugin(
  options: { refusals?: RefusedRequests; unauthenticated?: RefusedRequests; intervalMs?: number } = {},
) {
  const refusals = options.refusals ?? ipAccessListRefusals;
  // 401s counted by the root router (./unauthenticatedRefusals): one summary per minute as well
  const unauthenticated = options.unauthenticated ?? unauthenticatedRefusals;
  return createBackendPlugin({
    pluginId: 'network',
    register(env) {
      env.registerInit({
        deps: { auditor: coreServices.auditor, lifecycle: coreServices.lifecycle, logger: coreServices.logger },
        async init({ auditor, lifecycle, logger }) {
          const flush = () =>
            Promise.all([
              auditRefusedRequests(refusals, auditor).catch(e =>
                logger.error(`could not audit IP access list refusals: ${(e as Error).message}`),
              ),
              auditUnauthenticatedRequests(unauthenticated, auditor).catch(e =>
                logger.error(`could not audit refused unauthenticated requests: ${(e as Error).message}`),
              ),
            ]);
          const timer = setInterval(flush, options.intervalMs ?? REFUSAL_SUMMARY_INTERVAL_MS);
          timer.unref();
          lifecycle.addShutdownHook(async () => {
            clearInterval(timer);
            await flush();
          });
        },
      });
    },
  });
}

export const networkAuditPlugin = createNetworkAuditPlugin();
