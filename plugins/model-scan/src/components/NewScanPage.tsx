import { useState } from 'react';
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
import { Alert } from '@material-ui/lab';
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

/** /model-scan/new: scan a model by location or by uploading a file. */
export function NewScanPage() {
  const api = useApi(modelScanApiRef);
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

  const submitTarget = async () => {
    setError(undefined);
    const invalid = validateTarget(target);
    setTargetError(invalid);
    if (invalid) return;
    setBusy(true);
    try {
      const scan = await api.createScan({ target: target.trim() });
      goToScan(scan.id);
    } catch (e: any) {
      setError(e?.message ?? String(e));
    } finally {
      setBusy(false);
    }
  };

  const submitUpload = async () => {
    setError(undefined);
    if (!file) {
      setError('Choose a file to upload.');
      return;
    }
    setBusy(true);
    setUpload({ sent: 0, total: file.size });
    try {
      const scan = await api.uploadScan(file, {
        onProgress: (sent, total) => setUpload({ sent, total }),
      });
      goToScan(scan.id);
    } catch (e: any) {
      setError(e?.message ?? String(e));
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
