import {
  databricksIntent,
  huggingFaceIntent,
  mlflowIntent,
  verifyDatabricksDelivery,
  verifyHuggingFaceDelivery,
  verifyMlflowDelivery,
} from './webhooks';

// Test vectors computed with Python replicating MLflow's and Databricks' signing code
// (docs/research/detection-posture.md §5.4).
const MLFLOW_BODY = Buffer.from(
  '{"entity": "model_version", "action": "created", "timestamp": "2026-01-01T00:00:00+00:00", "data": {"name": "example_model", "version": "1", "source": "models:/m-123", "run_id": "abcd1234abcd5678", "tags": {"example_key": "example_value"}, "description": "An example model version"}}',
);
const MLFLOW_HEADERS = {
  'x-mlflow-delivery-id': '0f8fad5b-d9cb-469f-a165-70867728950e',
  'x-mlflow-timestamp': '1767225600',
  'x-mlflow-signature': 'v1,W/R/muG3SpTkgRLyWc2/ajkFp7q3eWFwG8pzLDwzUKY=',
};
const T = 1767225600 * 1000;

const DATABRICKS_BODY = Buffer.from(
  '{"event": "MODEL_VERSION_TRANSITIONED_STAGE", "webhook_id": "c5596721253c4b429368cf6f4341b88a", "event_timestamp": 1589859029343, "model_name": "Airline_Delay_SparkML", "version": "8", "to_stage": "Production", "from_stage": "None", "text": "Registered model \'someModel\' version 8 transitioned from None to Production."}',
);
const DATABRICKS_SIG =
  '9f7c43e398f1ae882f4c622c729f398dada0affede2e56c8f6f1f56453dfa05e';

describe('MLflow signatures', () => {
  const verify = (
    headers: Record<string, string>,
    body = MLFLOW_BODY,
    nowMs = T + 10_000,
  ) =>
    verifyMlflowDelivery({
      secret: 'test-secret',
      headers,
      rawBody: body,
      nowMs,
      maxAgeSeconds: 300,
    });

  it('accepts the reference vector and keys replays on the delivery id', () => {
    expect(verify(MLFLOW_HEADERS)).toEqual({
      ok: true,
      replayKey: 'mlflow:0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    // rotation: several signatures, one valid
    expect(
      verify({
        ...MLFLOW_HEADERS,
        'x-mlflow-signature': `v1,AAAA ${MLFLOW_HEADERS['x-mlflow-signature']}`,
      }).ok,
    ).toBe(true);
  });

  it('refuses a changed body, a wrong secret, a changed delivery id or timestamp', () => {
    expect(
      verify(
        MLFLOW_HEADERS,
        Buffer.from(MLFLOW_BODY.toString().replace('"1"', '"2"')),
      ).ok,
    ).toBe(false);
    expect(
      verifyMlflowDelivery({
        secret: 'other',
        headers: MLFLOW_HEADERS,
        rawBody: MLFLOW_BODY,
        nowMs: T,
        maxAgeSeconds: 300,
      }).ok,
    ).toBe(false);
    expect(
      verify({
        ...MLFLOW_HEADERS,
        'x-mlflow-delivery-id': '1f8fad5b-d9cb-469f-a165-70867728950e',
      }).ok,
    ).toBe(false);
    expect(
      verify({ ...MLFLOW_HEADERS, 'x-mlflow-timestamp': '1767225601' }).ok,
    ).toBe(false);
    expect(
      verify({
        ...MLFLOW_HEADERS,
        'x-mlflow-signature': 'v2,W/R/muG3SpTkgRLyWc2/ajkFp7q3eWFwG8pzLDwzUKY=',
      }).ok,
    ).toBe(false);
  });

  it('refuses stale and future timestamps and missing headers', () => {
    expect(verify(MLFLOW_HEADERS, MLFLOW_BODY, T + 400_000)).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining('stale'),
    });
    expect(verify(MLFLOW_HEADERS, MLFLOW_BODY, T - 400_000).ok).toBe(false);
    for (const h of Object.keys(MLFLOW_HEADERS)) {
      const headers: Record<string, string> = { ...MLFLOW_HEADERS };
      delete headers[h];
      expect(verify(headers)).toMatchObject({ ok: false, status: 401 });
    }
    expect(
      verify({ ...MLFLOW_HEADERS, 'x-mlflow-timestamp': 'yesterday' }),
    ).toMatchObject({ ok: false, status: 400 });
  });
});

describe('Databricks signatures', () => {
  const at = 1589859029343 + 5_000;
  it('accepts the reference vector, refuses a wrong one, a changed body, a stale event', () => {
    const v = (sig: string, body = DATABRICKS_BODY, nowMs = at) =>
      verifyDatabricksDelivery({
        secret: 'anyRandomString',
        headers: { 'x-databricks-signature': sig },
        rawBody: body,
        nowMs,
        maxAgeSeconds: 300,
      });
    expect(v(DATABRICKS_SIG).ok).toBe(true);
    expect(v(DATABRICKS_SIG.toUpperCase()).ok).toBe(true);
    expect(v(DATABRICKS_SIG.replace('9f', '8f')).ok).toBe(false);
    expect(
      v(
        DATABRICKS_SIG,
        Buffer.from(DATABRICKS_BODY.toString().replace('"8"', '"9"')),
      ).ok,
    ).toBe(false);
    expect(v(DATABRICKS_SIG, DATABRICKS_BODY, at + 3600_000)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('stale'),
    });
    expect(
      verifyDatabricksDelivery({
        secret: 'anyRandomString',
        headers: {},
        rawBody: DATABRICKS_BODY,
        nowMs: at,
        maxAgeSeconds: 300,
      }).ok,
    ).toBe(false);
  });
});

describe('Hugging Face secret header', () => {
  it('accepts only the exact secret', () => {
    const v = (h: Record<string, string>) =>
      verifyHuggingFaceDelivery({
        secret: 's3cret',
        headers: h,
        rawBody: Buffer.from('{}'),
      });
    expect(v({ 'x-webhook-secret': 's3cret' }).ok).toBe(true);
    expect(v({ 'x-webhook-secret': 's3cre' }).ok).toBe(false);
    expect(v({ 'x-webhook-secret': 's3crett' }).ok).toBe(false);
    expect(v({}).ok).toBe(false);
  });
});

describe('events to targets', () => {
  it('maps MLflow events', () => {
    expect(mlflowIntent(JSON.parse(MLFLOW_BODY.toString())).targets).toEqual([
      'mlflow://example_model/1',
    ]);
    expect(
      mlflowIntent({
        entity: 'model_version_alias',
        action: 'created',
        data: { name: 'a b', alias: 'prod', version: '4' },
      }).targets,
    ).toEqual(['mlflow://a%20b/4']);
    expect(
      mlflowIntent({
        entity: 'registered_model',
        action: 'created',
        data: { name: 'x' },
      }).targets,
    ).toEqual([]);
    expect(
      mlflowIntent({
        entity: 'model_version_tag',
        action: 'set',
        data: { name: 'x', version: '1', key: 'frontier_guard.scan_verdict' },
      }),
    ).toMatchObject({ targets: [], ignoredReason: 'our own verdict tag' });
    expect(
      mlflowIntent({
        entity: 'model_version',
        action: 'created',
        data: { name: 'x', version: '../1' },
      }).targets,
    ).toEqual([]);
  });

  it('maps Databricks events', () => {
    expect(
      databricksIntent(JSON.parse(DATABRICKS_BODY.toString())).targets,
    ).toEqual(['databricks://Airline_Delay_SparkML/8']);
    expect(
      databricksIntent({
        event: 'MODEL_VERSION_CREATED',
        model_name: 'm',
        version: '2',
      }).targets,
    ).toEqual(['databricks://m/2']);
    expect(
      databricksIntent({ event: 'REGISTERED_MODEL_CREATED', model_name: 'm' })
        .targets,
    ).toEqual([]);
    expect(
      databricksIntent({
        event: 'COMMENT_CREATED',
        model_name: 'm',
        version: '2',
      }).targets,
    ).toEqual([]);
  });

  it('maps Hugging Face repo.content updates on watched refs to pinned targets', () => {
    const sha = 'b'.repeat(40);
    const payload = {
      event: { action: 'update', scope: 'repo.content' },
      repo: { type: 'model', name: 'org/llm', headSha: sha },
      updatedRefs: [
        { ref: 'refs/heads/main', oldSha: 'a'.repeat(40), newSha: sha },
        { ref: 'refs/heads/dev', newSha: 'c'.repeat(40) },
      ],
    };
    expect(huggingFaceIntent(payload, ['refs/heads/main']).targets).toEqual([
      `hf://org/llm@${sha}`,
    ]);
    expect(
      huggingFaceIntent(
        { ...payload, repo: { ...payload.repo, type: 'dataset' } },
        ['refs/heads/main'],
      ).targets,
    ).toEqual([]);
    expect(
      huggingFaceIntent(
        { ...payload, event: { action: 'create', scope: 'discussion' } },
        ['refs/heads/main'],
      ).targets,
    ).toEqual([]);
    expect(
      huggingFaceIntent(
        { ...payload, updatedRefs: [{ ref: 'refs/heads/main', newSha: null }] },
        ['refs/heads/main'],
      ).targets,
    ).toEqual([]);
    expect(
      huggingFaceIntent(
        { ...payload, repo: { ...payload.repo, name: '../x' } },
        ['refs/heads/main'],
      ).targets,
    ).toEqual([]);
  });
});
