/**
 * Frontend of the audit trail: the /audit page (search, filters, paging, CSV/JSON export,
 * chain verification) and the entity "Audit" tab.
 * @packageDocumentation
 */
export { auditPlugin as default, auditPlugin } from './plugin';
