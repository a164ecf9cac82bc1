import type { RecordedRequest, StandInResponse } from './https';

/** A Kubernetes API `Status` failure answer, as the API server sends it. */
export function kubernetesStatus(
  code: number,
  reason: string,
  message: string,
): StandInResponse {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    },
  };
}

/**
 * The API server's 401 for a request that does not carry `Bearer <token>`, or undefined when
 * it does (`return unauthorized(req, TOKEN) ?? answer(req)`).
 */
export function kubernetesUnauthorized(
  req: RecordedRequest,
  token: string,
): StandInResponse | undefined {
  return req.headers.authorization === `Bearer ${token}`
    ? undefined
    : kubernetesStatus(401, 'Unauthorized', 'Unauthorized');
}
