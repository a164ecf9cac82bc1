/**
 * The backstop every Frontier Guard backend router puts in front of its routes: client strings
 * free of control characters and bidirectional overrides (400 naming the field), and refusals
 * (403, refused writes) audited exactly once.
 *
 * @packageDocumentation
 */
export {
  auditRefusals,
  isAudited,
  markAudited,
  refuseUnsafeInput,
  rememberActor,
} from './refusals';
export { endAbandonedRequests } from './abandonedRequests';
