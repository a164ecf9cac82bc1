import { useEffect, useState } from 'react';
import {
  Content,
  Header,
  InfoCard,
  Page,
} from '@backstage/core-components';
import {
  useApi,
  useAppNavigate,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Grid,
  LinearProgress,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert, Autocomplete } from '@material-ui/lab';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { useSearchParams } from 'react-router-dom';
import { modelScanApiRef } from '../api/ModelScanApi';
import { scanRouteRef } from '../routes';
import { formatBytes } from './format';

const TARGET_PATTERN =
  /^(https:\/\/\S+|hf:\/\/[^/\s]+\/[^/\s@]+(@\S+)?|mlflow:\/\/[^/\s]+\/\S+|databricks:\/\/[^/\s]+\/\S+)$/;

/** Checks a target in the notation shared by the CLI and the backend. */
export function validateTarget(target: string): string | undefined {
  const t = target.trim();
  if (!t) return 'Enter a model location.';
  if (!TARGET_PATTERN.test(t)) {
    return 'Use an https:// URL (including Azure blob URLs), hf://org/repo[@revision], mlflow://name/version or databricks://name/version.';
  }
  return undefined;
}

/** A model entity as the picker shows it: its title (or name) and, in smaller print, kind and namespace. */
function modelLabel(e: Entity): string {
  return e.metadata.title ?? e.metadata.name;
}

/**
 * The catalog's models (Component of type model, Resource of type weight-store) the user may see,
 * for "Model (optional)"; the backend checks the choice again (404 when hidden, 400 when not a model).
 */
function useModelEntities() {
  const catalogApi = useApi(catalogApiRef);
  const [models, setModels] = useState<Entity[]>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let cancelled = false;
    catalogApi
      .getEntities({
        filter: [
          { kind: 'component', 'spec.type': 'model' },
          { kind: 'resource', 'spec.type': 'weight-store' },
        ],
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.type'],
      })
      .then(
        r => !cancelled && setModels(r.items),
        () => !cancelled && setFailed(true),
      );
    return () => {
      cancelled = true;
    };
  }, [catalogApi]);
  return { models, failed };
}

/** A server refusal of the model choice, as a sentence. */
function modelError(e: any): string | undefined {
  const message: string = e?.body?.error?.message ?? e?.message ?? '';
  if (!/entityRef:/.test(message)) return undefined;
  return /is not a model/.test(message)
    ? 'The chosen entity is not a model. Pick a model or weight store, or leave the field empty.'
    : 'That model does not exist in the catalog or you may not see it. Pick another one, or leave the field empty.';
}

/** /model-scan/new: scan a model by location or by uploading a file. */
export function NewScanPage() {
  const api = useApi(modelScanApiRef);
  const [searchParams] = useSearchParams();
  const { models, failed: modelsFailed } = useModelEntities();
  const [model, setModel] = useState<Entity | null>(null);
  const [modelMessage, setModelMessage] = useState<string>();
  // ?entityRef= (from a model's "Model scans" tab) preselects that model
  const wanted = searchParams.get('entityRef')?.toLowerCase();
  useEffect(() => {
    if (!wanted || !models || model) return;
    const found = models.find(m => stringifyEntityRef(m).toLowerCase() === wanted);
    if (found) setModel(found);
  }, [wanted, models, model]);
  const entityRef = model ? stringifyEntityRef(model) : undefined;
  const navigate = useAppNavigate();
  const scanLink = useRouteRef(scanRouteRef);
  const [target, setTarget] = useState('');
  const [targetError, setTargetError] = useState<string>();
  const [file, setFile] = useState<File>();
  const [upload, setUpload] = useState<{ sent: number; total: number }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const goToScan = (id: string) => {
    if (scanLink) navigate(scanLink({ id }));
  };

  const showError = (e: any) => {
    const forModel = modelError(e);
    setModelMessage(forModel);
    setError(forModel ? undefined : e?.message ?? String(e));
  };

  const submitTarget = async () => {
    setError(undefined);
    setModelMessage(undefined);
    const invalid = validateTarget(target);
    setTargetError(invalid);
    if (invalid) return;
    setBusy(true);
    try {
      const scan = await api.createScan({ target: target.trim(), entityRef });
      goToScan(scan.id);
    } catch (e: any) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const submitUpload = async () => {
    setError(undefined);
    setModelMessage(undefined);
    if (!file) {
      setError('Choose a file to upload.');
      return;
    }
    setBusy(true);
    setUpload({ sent: 0, total: file.size });
    try {
      const scan = await api.uploadScan(file, {
        entityRef,
        onProgress: (sent, total) => setUpload({ sent, total }),
      });
      goToScan(scan.id);
    } catch (e: any) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page themeId="tool">
      <Header title="Scan a model" subtitle="Check a model for code that runs when it is loaded" />
      <Content>
        {error && (
          <Box mb={2}>
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          </Box>
        )}
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <InfoCard title="Model (optional)">
              <Typography variant="body2" paragraph>
                Tie the scan to a model in the catalog: the scan then shows on the model&apos;s page and
                links to it. Only models you may see are listed.
              </Typography>
              <Autocomplete
                options={models ?? []}
                loading={!models && !modelsFailed}
                value={model}
                onChange={(_e, v) => {
                  setModel(v);
                  setModelMessage(undefined);
                }}
                getOptionLabel={modelLabel}
                getOptionSelected={(a, b) => stringifyEntityRef(a) === stringifyEntityRef(b)}
                renderOption={e => (
                  <span>
                    {modelLabel(e)}{' '}
                    <Typography variant="caption" color="textSecondary" component="span">
                      {e.kind === 'Resource' ? 'weight store' : 'model'}
                      {e.metadata.namespace && e.metadata.namespace !== 'default' ? ` · ${e.metadata.namespace}` : ''}
                    </Typography>
                  </span>
                )}
                renderInput={params => (
                  <TextField
                    {...params}
                    label="Model"
                    placeholder="Search the catalog's models"
                    error={!!modelMessage}
                    helperText={
                      modelMessage ??
                      (modelsFailed
                        ? 'The catalog could not be reached; you can still scan without choosing a model.'
                        : 'Leave empty to scan a file that is not in the catalog yet.')
                    }
                    inputProps={{ ...params.inputProps, 'data-testid': 'scan-model-input' }}
                  />
                )}
                style={{ maxWidth: 600 }}
              />
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={6}>
            <InfoCard title="Scan a model location">
              <TextField
                id="scan-target"
                label="Model location"
                placeholder="hf://org/repo@rev, https://account.blob.core.windows.net/container/path/, mlflow://name/1"
                fullWidth
                value={target}
                error={!!targetError}
                helperText={
                  targetError ??
                  'A URL, hf://org/repo[@revision], an Azure blob URL, mlflow://name/version or databricks://name/version'
                }
                onChange={e => setTarget(e.target.value)}
                inputProps={{ 'data-testid': 'scan-target-input' }}
              />
              <Box mt={2}>
                <Button
                  variant="contained"
                  color="primary"
                  disabled={busy}
                  onClick={submitTarget}
                >
                  Start scan
                </Button>
              </Box>
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={6}>
            <InfoCard title="Upload a file">
              <Typography variant="body2" paragraph>
                Checkpoints, pickles, NumPy, Keras, ONNX, GGUF, safetensors…
                The format is detected from the content, not the file name.
              </Typography>
              <Button variant="outlined" component="label">
                Choose file
                <input
                  type="file"
                  hidden
                  aria-label="Model file"
                  data-testid="scan-file-input"
                  onChange={e => setFile(e.target.files?.[0] ?? undefined)}
                />
              </Button>
              {file && (
                <Typography variant="body2" component="span">
                  {' '}
                  {file.name} ({formatBytes(file.size)})
                </Typography>
              )}
              {upload && (
                <Box mt={2} data-testid="upload-progress">
                  <LinearProgress
                    variant="determinate"
                    value={upload.total ? (100 * upload.sent) / upload.total : 0}
                  />
                  <Typography variant="caption">
                    Uploaded {formatBytes(upload.sent)} of {formatBytes(upload.total)}
                  </Typography>
                </Box>
              )}
              <Box mt={2}>
                <Button
                  variant="contained"
                  color="primary"
                  disabled={busy || !file}
                  onClick={submitUpload}
                >
                  Upload and scan
                </Button>
              </Box>
            </InfoCard>
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
