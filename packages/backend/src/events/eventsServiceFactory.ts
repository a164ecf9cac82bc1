import { coreServices, createServiceFactory, RootConfigService } from '@backstage/backend-plugin-api';
import { DefaultEventsService, eventsServiceRef } from '@backstage/plugin-events-node';

type EventBusMode = 'never' | 'always' | 'auto';

/**
 * Whether plugins post their events to the events backend's bus (`events.useEventBus`).
 *
 * The bus exists so that an event published in one backend process reaches subscribers in the
 * others (replicas on one PostgreSQL: issue 11). Every event is delivered to the subscribers of
 * its own process in-process first; the HTTP post to `/api/events/bus/v1/events` only matters for
 * other processes. On SQLite there is exactly one backend process (a SQLite file cannot be shared
 * by replicas, see the README), and the events backend keeps its bus in memory: every post is a
 * wasted internal HTTP call (≈ 5.5 per access-request flow: one per notified user, through
 * signals). So: an explicit `events.useEventBus` wins; otherwise `never` when the backend's
 * database client is SQLite, and `always` for anything else (this backend installs the events
 * backend, so a plugin that posts before the bus is mounted retries rather than giving up on it,
 * which Backstage's default `auto` would do after one 404).
 */
export function eventBusMode(config: RootConfigService): EventBusMode | undefined {
  const explicit = config.getOptionalString('events.useEventBus');
  if (explicit !== undefined) return undefined; // DefaultEventsService reads (and validates) it
  const client = config.getOptionalString('backend.database.client');
  return client === 'better-sqlite3' || client === 'sqlite3' ? 'never' : 'always';
}

/** Backstage's events service factory, with the bus mode of {@link eventBusMode}. */
export const frontierGuardEventsServiceFactory = createServiceFactory({
  service: eventsServiceRef,
  deps: {
    pluginMetadata: coreServices.pluginMetadata,
    rootLogger: coreServices.rootLogger,
    discovery: coreServices.discovery,
    logger: coreServices.logger,
    lifecycle: coreServices.lifecycle,
    auth: coreServices.auth,
    config: coreServices.rootConfig,
  },
  async createRootContext({ rootLogger, config }) {
    const useEventBus = eventBusMode(config);
    if (useEventBus === 'never') {
      rootLogger.info('events: SQLite, one backend process: events are delivered in-process only (no events-bus posts)');
    }
    return DefaultEventsService.create({ logger: rootLogger, config, useEventBus });
  },
  async factory({ pluginMetadata, discovery, logger, lifecycle, auth }, events) {
    return events.forPlugin(pluginMetadata.getId(), { discovery, logger, lifecycle, auth });
  },
});
