import crypto from 'node:crypto';

/** Why a delivery was refused; `status` is the HTTP answer. */
export type Verification =
  | { ok: true; replayKey: string }
  | { ok: false; status: 401 | 400; reason: string };

/** Constant-time comparison of two strings (hashing first, so lengths do not leak). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a, 'utf8').digest();
  const hb = crypto.createHash('sha256').update(b, 'utf8').digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * MLflow 3 OSS webhooks: `X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret,
 * "{delivery_id}.{timestamp}.{raw body}")>`, `X-MLflow-Delivery-Id`, `X-MLflow-Timestamp`
 * (unix seconds). Several space-separated signatures are accepted (secret rotation).
 */
export function verifyMlflowDelivery(opts: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  nowMs: number;
  maxAgeSeconds: number;
}): Verification {
  const signature = header(opts.headers['x-mlflow-signature']);
  const deliveryId = header(opts.headers['x-mlflow-delivery-id']);
  const timestamp = header(opts.headers['x-mlflow-timestamp']);
  if (!signature || !deliveryId || !timestamp) {
    return {
      ok: false,
      status: 401,
      reason:
        'missing X-MLflow-Signature, X-MLflow-Delivery-Id or X-MLflow-Timestamp',
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return {
      ok: false,
      status: 400,
      reason: 'X-MLflow-Timestamp is not a unix timestamp',
    };
  }
  const ageSeconds = opts.nowMs / 1000 - Number(timestamp);
  if (Math.abs(ageSeconds) > opts.maxAgeSeconds) {
    return {
      ok: false,
      status: 401,
      reason: `stale delivery (timestamp ${Math.round(
        ageSeconds,
      )}s from now, limit ${opts.maxAgeSeconds}s)`,
    };
  }
  const signed = Buffer.concat([
    Buffer.from(`${deliveryId}.${timestamp}.`, 'utf8'),
    opts.rawBody,
  ]);
  const expected = crypto
    .createHmac('sha256', opts.secret)
    .update(signed)
    .digest('base64');
  const valid = signature
    .split(' ')
    .filter(Boolean)
    .some(part => {
      const [version, sig] = part.split(',', 2);
      return (
        version === 'v1' &&
        sig !== undefined &&
        constantTimeEqual(sig, expected)
      );
    });
  if (!valid)
    return { ok: false, status: 401, reason: 'invalid X-MLflow-Signature' };
  return { ok: true, replayKey: `mlflow:${deliveryId}` };
}

/**
 * Databricks model-registry webhooks: `X-Databricks-Signature` = hex HMAC-SHA256(secret,
 * raw body). There is no timestamp header; the payload's `event_timestamp` (ms) is checked
 * against the age limit, and the body hash is the replay key.
 */
export function verifyDatabricksDelivery(opts: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  nowMs: number;
  maxAgeSeconds: number;
}): Verification {
  const signature = header(opts.headers['x-databricks-signature']);
  if (!signature)
    return { ok: false, status: 401, reason: 'missing X-Databricks-Signature' };
  const expected = crypto
    .createHmac('sha256', opts.secret)
    .update(opts.rawBody)
    .digest('hex');
  if (!constantTimeEqual(signature.trim().toLowerCase(), expected)) {
    return { ok: false, status: 401, reason: 'invalid X-Databricks-Signature' };
  }
  let eventTimestamp: unknown;
  try {
    eventTimestamp = JSON.parse(opts.rawBody.toString('utf8'))?.event_timestamp;
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  if (typeof eventTimestamp !== 'number') {
    return { ok: false, status: 400, reason: 'event_timestamp missing' };
  }
  if (Math.abs(opts.nowMs - eventTimestamp) / 1000 > opts.maxAgeSeconds) {
    return {
      ok: false,
      status: 401,
      reason: `stale delivery (event_timestamp older than ${opts.maxAgeSeconds}s)`,
    };
  }
  return {
    ok: true,
    replayKey: `databricks:${crypto
      .createHash('sha256')
      .update(opts.rawBody)
      .digest('hex')}`,
  };
}

/**
 * Hugging Face Hub webhooks: the secret travels verbatim in `X-Webhook-Secret` (no HMAC,
 * no timestamp). Compared in constant time; the body hash is the replay key.
 */
export function verifyHuggingFaceDelivery(opts: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}): Verification {
  const given = header(opts.headers['x-webhook-secret']);
  if (!given)
    return { ok: false, status: 401, reason: 'missing X-Webhook-Secret' };
  if (!constantTimeEqual(given, opts.secret)) {
    return { ok: false, status: 401, reason: 'invalid X-Webhook-Secret' };
  }
  return {
    ok: true,
    replayKey: `huggingface:${crypto
      .createHash('sha256')
      .update(opts.rawBody)
      .digest('hex')}`,
  };
}

/** What a delivery asks for: targets to scan, or why nothing is scanned. */
export interface WebhookIntent {
  event: string;
  targets: string[];
  ignoredReason?: string;
}

const OWN_TAG_PREFIX = 'frontier_guard.';

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0 && v.length <= 512) return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return undefined;
}

function registryTarget(
  scheme: 'mlflow' | 'databricks',
  name: unknown,
  version: unknown,
) {
  const n = str(name);
  const v = str(version);
  if (!n || !v || !/^\d{1,10}$/.test(v)) return undefined;
  return `${scheme}://${encodeURIComponent(n)}/${v}`;
}

/** MLflow events: `{ entity, action, timestamp, data }`. */
export function mlflowIntent(payload: any): WebhookIntent {
  const event = `${payload?.entity}.${payload?.action}`;
  const data = payload?.data ?? {};
  switch (event) {
    case 'model_version.created':
    case 'model_version_alias.created': {
      const t = registryTarget('mlflow', data.name, data.version);
      return t
        ? { event, targets: [t] }
        : {
            event,
            targets: [],
            ignoredReason: 'no model name/version in payload',
          };
    }
    case 'model_version_tag.set': {
      if (String(data.key ?? '').startsWith(OWN_TAG_PREFIX)) {
        return { event, targets: [], ignoredReason: 'our own verdict tag' };
      }
      return {
        event,
        targets: [],
        ignoredReason: 'tags do not change model files',
      };
    }
    case 'registered_model.created':
      return {
        event,
        targets: [],
        ignoredReason: 'a new registered model has no version to scan yet',
      };
    default:
      return {
        event,
        targets: [],
        ignoredReason: 'event not relevant to scanning',
      };
  }
}

const DATABRICKS_SCAN_EVENTS = new Set([
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_TRANSITIONED_STAGE',
  'MODEL_VERSION_TRANSITIONED_TO_STAGING',
  'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
  'TRANSITION_REQUEST_CREATED',
  'TRANSITION_REQUEST_TO_STAGING_CREATED',
  'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
]);

/** Databricks events: `{ event, webhook_id, event_timestamp, model_name, version, ... }`. */
export function databricksIntent(payload: any): WebhookIntent {
  const event = String(payload?.event ?? 'unknown');
  if (event === 'REGISTERED_MODEL_CREATED') {
    return {
      event,
      targets: [],
      ignoredReason: 'a new registered model has no version to scan yet',
    };
  }
  if (!DATABRICKS_SCAN_EVENTS.has(event)) {
    return {
      event,
      targets: [],
      ignoredReason: 'event not relevant to scanning',
    };
  }
  const t = registryTarget('databricks', payload.model_name, payload.version);
  return t
    ? { event, targets: [t] }
    : { event, targets: [], ignoredReason: 'no model_name/version in payload' };
}

/** Hugging Face events: scan a model repo when a watched ref moves (`repo.content` update). */
export function huggingFaceIntent(payload: any, refs: string[]): WebhookIntent {
  const scope = String(payload?.event?.scope ?? '');
  const action = String(payload?.event?.action ?? '');
  const event = `${scope}.${action}`;
  const repo = payload?.repo;
  if (repo?.type !== 'model')
    return { event, targets: [], ignoredReason: 'not a model repository' };
  if (
    !(scope === 'repo.content' || scope.startsWith('repo.content.')) ||
    (action !== 'update' && action !== 'create')
  ) {
    return {
      event,
      targets: [],
      ignoredReason: 'event does not change repository content',
    };
  }
  const name = str(repo?.name);
  if (!name || !/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(name)) {
    return { event, targets: [], ignoredReason: 'no valid repository name' };
  }
  const shas = new Set<string>();
  const updated = Array.isArray(payload?.updatedRefs)
    ? payload.updatedRefs
    : undefined;
  if (updated) {
    for (const u of updated) {
      if (
        refs.includes(u?.ref) &&
        typeof u?.newSha === 'string' &&
        /^[0-9a-f]{40}$/.test(u.newSha)
      ) {
        shas.add(u.newSha);
      }
    }
  } else if (
    typeof repo?.headSha === 'string' &&
    /^[0-9a-f]{40}$/.test(repo.headSha)
  ) {
    shas.add(repo.headSha);
  }
  if (shas.size === 0)
    return { event, targets: [], ignoredReason: 'no watched ref was updated' };
  return { event, targets: [...shas].map(sha => `hf://${name}@${sha}`) };
}
