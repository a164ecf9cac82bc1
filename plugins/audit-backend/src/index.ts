/**
 * The Frontier Guard audit trail: an auditor service that logs like Backstage's default and
 * appends every event to an append-only, hash-chained table, plus the `audit` plugin.
 *
 * @packageDocumentation
 */
export { auditPlugin as default } from './plugin';
export {
  auditorServiceFactory,
  ChainedAuditorService,
} from './service/auditorServiceFactory';
export {
  auditLogServiceRef,
  auditLogServiceFactory,
} from './service/auditLogServiceRef';
export type { AuditLogService, AuditLogEntry } from './service/AuditLog';
export { AuditEventStore } from './store/AuditEventStore';
export { GENESIS_HASH, computeRowHash } from './domain/hashChain';
export type { ChainRow } from './domain/hashChain';
