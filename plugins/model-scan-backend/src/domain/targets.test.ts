import { canonicalTarget } from './targets';

describe('canonicalTarget', () => {
  it('gives both spellings of a registry model name one canonical target', () => {
    expect(canonicalTarget('mlflow://fraud model/7')).toBe(
      'mlflow://fraud%20model/7',
    );
    expect(canonicalTarget('mlflow://fraud%20model/7')).toBe(
      'mlflow://fraud%20model/7',
    );
    expect(canonicalTarget('databricks://main.ml.fraud%2Fmodel/12')).toBe(
      canonicalTarget('databricks://main.ml.fraud/model/12'),
    );
    // a literal "%" that is not an escape stays one model name
    expect(canonicalTarget('mlflow://100%/1')).toBe('mlflow://100%25/1');
    expect(canonicalTarget('mlflow://100%25/1')).toBe('mlflow://100%25/1');
  });

  it('keeps different models, versions and registries apart', () => {
    const targets = [
      'mlflow://fraud model/7',
      'mlflow://fraud model/8',
      'mlflow://fraud-model/7',
      'databricks://fraud model/7',
      'hf://org/model@v1',
      'hf://org/model@v2',
    ].map(canonicalTarget);
    expect(new Set(targets).size).toBe(targets.length);
  });

  it('normalizes hub revisions and URLs', () => {
    expect(canonicalTarget('hf://org/model')).toBe('hf://org/model@main');
    expect(canonicalTarget('hf://org/model@refs%2Fpr%2F1')).toBe(
      'hf://org/model@refs/pr/1',
    );
    expect(canonicalTarget('HTTPS://Example.COM:443/a b/model.bin')).toBe(
      'https://example.com/a%20b/model.bin',
    );
    expect(
      canonicalTarget('https://acct.blob.core.windows.net/c/release/v3/'),
    ).toBe('https://acct.blob.core.windows.net/c/release/v3/');
  });

  it('leaves uploads, local paths and unparsable targets as they are (trimmed)', () => {
    const upload = `upload://${'a'.repeat(64)}/model.pkl`;
    expect(canonicalTarget(` ${upload} `)).toBe(upload);
    expect(canonicalTarget('/etc/passwd')).toBe('/etc/passwd');
    expect(canonicalTarget('https://[bad')).toBe('https://[bad');
  });
});
