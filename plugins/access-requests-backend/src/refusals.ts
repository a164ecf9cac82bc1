// One backstop for every backend: @internal/backend-input-guard (kept as this module so the plugin's files import it unchanged).
export {
  auditRefusals,
  endAbandonedRequests,
  isAudited,
  markAudited,
  refuseUnsafeInput,
  rememberActor,
} from '@internal/backend-input-guard';
