import { useCallback, useEffect, useState } from 'react';
import {
  Content,
  EmptyState,
  Header,
  InfoCard,
  Link,
  LinkButton,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { EntityLink } from './EntityLink';
import {
  useApi,
  useAppNavigate,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  Grid,
  LinearProgress,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useParams } from 'react-router-dom';
import { modelScanApiRef } from '../api/ModelScanApi';
import { GateDecision, Scan, ScannedFile } from '../api/types';
import { modelScanRescanPermission } from '../permissions';
import { rootRouteRef, scanRouteRef } from '../routes';
import { AcceptVerdictButton } from './AcceptVerdictDialog';
import { FindingExplanation } from './FindingExplanation';
import { formatBytes, formatTime, shortRef } from './format';
import { GateDecisionView } from './GateDecisionView';
import { ReviewRequestNotice, ScanActions } from './ScanReview';
import { VERDICT_MEANING, VerdictChip } from './VerdictChip';

const POLL_MS = 1000;

export function isScanActive(scan: Scan | undefined): boolean {
  return !!scan && (scan.status === 'queued' || scan.status === 'running');
}

/**
 * Loads a scan and polls it every second while it is queued or running.
 */
export function usePolledScan(id: string | undefined) {
  const api = useApi(modelScanApiRef);
  const [scan, setScan] = useState<Scan>();
  const [error, setError] = useState<Error>();
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion(v => v + 1), []);

  useEffect(() => {
    if (!id) return undefined;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const s = await api.getScan(id);
        if (cancelled) return;
        setScan(s);
        setError(undefined);
        if (isScanActive(s)) timer = setTimeout(load, POLL_MS);
      } catch (e: any) {
        if (!cancelled) setError(e);
      }
    };
    load();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, id, version]);

  return { scan, error, reload };
}

export function ScanProgressView(props: { scan: Scan }) {
  const { scan } = props;
  const p = scan.progress;
  const value =
    p && p.bytesTotal > 0
      ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal)
      : undefined;
  return (
    <Box data-testid="scan-progress">
      <Typography variant="body2">
        {scan.status === 'queued' ? 'Waiting for a scanner…' : 'Scanning…'}
        {p &&
          ` ${p.filesDone} of ${p.filesTotal} files, ${formatBytes(
            p.bytesDone,
          )} of ${formatBytes(p.bytesTotal)}`}
      </Typography>
      <LinearProgress
        variant={value === undefined ? 'indeterminate' : 'determinate'}
        value={value}
      />
    </Box>
  );
}

export function ScannedFileCard(props: {
  file: ScannedFile;
  onChanged?: () => void;
}) {
  const { file, onChanged } = props;
  return (
    <InfoCard
      title={
        <span data-testid="scanned-file-title">
          {file.path} <VerdictChip verdict={file.verdict} severity={file.severity} />
        </span>
      }
      subheader={VERDICT_MEANING[file.verdict]}
    >
      <Box data-testid="scanned-file" data-verdict={file.verdict}>
        <Typography variant="body2">
          Format: <strong>{file.format}</strong> · Size: {formatBytes(file.size)}
          {' · '}Severity: {file.severity}
          {file.cached ? ' · result reused from an earlier scan of the same hash' : ''}
        </Typography>
        <Typography variant="body2" style={{ wordBreak: 'break-all' }}>
          SHA-256: <code>{file.sha256 || 'not computed'}</code>
        </Typography>
        {file.acceptedUntil && (
          <Alert severity="info">
            A security reviewer accepted this suspicious verdict until{' '}
            {formatTime(file.acceptedUntil)}.
          </Alert>
        )}
        {file.findings.length > 0 ? (
          <Box mt={2}>
            <Typography variant="h6">Findings</Typography>
            {file.findings.map((f, i) => (
              <FindingExplanation key={`${f.ruleId}-${i}`} finding={f} />
            ))}
          </Box>
        ) : (
          <Typography variant="body2">No findings.</Typography>
        )}
        {file.errors.length > 0 && (
          <Box mt={2}>
            <Typography variant="h6">Errors</Typography>
            {file.errors.map((e, i) => (
              <Alert key={i} severity="warning">
                {e}
              </Alert>
            ))}
          </Box>
        )}
        <Box mt={1}>
          <AcceptVerdictButton file={file} onAccepted={onChanged} />
        </Box>
      </Box>
    </InfoCard>
  );
}

function GateCard(props: { target: string; refreshKey: string }) {
  const api = useApi(modelScanApiRef);
  const [decision, setDecision] = useState<GateDecision>();
  const [error, setError] = useState<Error>();
  const { target, refreshKey } = props;
  useEffect(() => {
    let cancelled = false;
    api.gate(target).then(
      d => !cancelled && setDecision(d),
      e => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [api, target, refreshKey]);
  return (
    <InfoCard title="Promotion gate">
      {error && <ResponseErrorPanel error={error} />}
      {!error && !decision && <Progress />}
      {decision && <GateDecisionView decision={decision} />}
    </InfoCard>
  );
}

export function ScanDetails(props: { scan: Scan; onChanged: () => void }) {
  const { scan, onChanged } = props;
  const api = useApi(modelScanApiRef);
  const navigate = useAppNavigate();
  const scanLink = useRouteRef(scanRouteRef);
  const { allowed: canRescan } = usePermission({
    permission: modelScanRescanPermission,
  });
  const [rescanError, setRescanError] = useState<Error>();

  const rescan = async () => {
    setRescanError(undefined);
    try {
      const next = await api.rescan(scan.id);
      if (scanLink) navigate(scanLink({ id: next.id }));
    } catch (e: any) {
      setRescanError(e);
    }
  };

  const active = isScanActive(scan);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={8}>
        <InfoCard title="Scan">
          <Box data-testid="scan-status" data-status={scan.status}>
            <Typography variant="body1">
              Status: <strong>{scan.status}</strong>{' '}
              {(scan.status === 'completed' || scan.status === 'failed') && (
                <VerdictChip verdict={scan.verdict} severity={scan.severity} status={scan.status} />
              )}
            </Typography>
            {active && <ScanProgressView scan={scan} />}
            {scan.status === 'failed' && (
              <Alert severity="error" role="alert" data-testid="scan-failed">
                The scan did not finish, so the model is not verified and the promotion gate stays closed.
                {canRescan ? ' Scan it again; if it keeps failing, ask a security reviewer.' : ' Ask a security reviewer to scan it again.'}
                {scan.error && (
                  <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
                    What went wrong: {friendlyScanError(scan.error)}
                  </Typography>
                )}
              </Alert>
            )}
            <Typography variant="body2" style={{ wordBreak: 'break-all' }}>
              Target: <code>{scan.target}</code>
            </Typography>
            <Typography variant="body2">
              Trigger: {scan.trigger} · Requested by{' '}
              {scan.requestedBy.startsWith('user:') ? <EntityDisplayName entityRef={scan.requestedBy} hideIcon /> : shortRef(scan.requestedBy)} ·
              Created {formatTime(scan.createdAt)}
              {scan.completedAt ? ` · Completed ${formatTime(scan.completedAt)}` : ''}
            </Typography>
            {scan.entityRef && (
              <Typography variant="body2">
                Model: <EntityLink entityRef={scan.entityRef} />
              </Typography>
            )}
            {scan.scannerVersion && (
              <Typography variant="body2">
                Scanner version: {scan.scannerVersion}
              </Typography>
            )}
            <ReviewRequestNotice scan={scan} />
            <ScanActions scan={scan} onChanged={onChanged} />
            {canRescan && !active && (
              <Box mt={1}>
                <Button variant="outlined" onClick={rescan}>
                  Rescan
                </Button>
              </Box>
            )}
            {rescanError && <ResponseErrorPanel error={rescanError} />}
          </Box>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        {!active && (
          <GateCard
            target={scan.target}
            refreshKey={`${scan.id}-${scan.status}-${
              scan.files?.map(f => f.acceptedUntil ?? '').join() ?? ''
            }`}
          />
        )}
      </Grid>
      {(scan.files ?? []).map(file => (
        <Grid item xs={12} key={`${file.path}-${file.sha256}`}>
          <ScannedFileCard file={file} onChanged={onChanged} />
        </Grid>
      ))}
    </Grid>
  );
}

function isNotFoundError(error: unknown): boolean {
  const e = error as { response?: { status?: number }; statusCode?: number; name?: string };
  return e?.response?.status === 404 || e?.statusCode === 404 || e?.name === 'NotFoundError';
}

/** A scanner error as a sentence (no host lookups or library codes). */
export function friendlyScanError(message: string): string {
  if (/ENOTFOUND|getaddrinfo|ECONNREFUSED|ETIMEDOUT|fetch failed/i.test(message)) {
    return 'the model source could not be reached.';
  }
  if (/timed? ?out/i.test(message)) return 'the scan took too long and was stopped.';
  if (/too large|exceeds/i.test(message)) return 'the file is larger than the scanner accepts.';
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/**
 * What the page is about, for its title: an upload's file name (its target is
 * `upload://<sha-256>/<name>`, the hash is shown below), else the target as given (URL, hf:// id).
 */
export function scanTitle(target: string | undefined): string {
  if (!target) return 'Model scan';
  const upload = /^upload:\/\/[0-9a-f]{64}\/(.+)$/i.exec(target);
  return upload ? upload[1] : target;
}

/** /model-scan/scans/:id */
export function ScanPage() {
  const { id } = useParams();
  const root = useRouteRef(rootRouteRef);
  const { scan, error, reload } = usePolledScan(id);
  return (
    <Page themeId="tool">
      <Header title={scanTitle(scan?.target)} subtitle="Model scan" />
      <Content>
        <Box mb={2}>
          {root && (
            <Link to={root()} data-testid="back-link">
              ← Back to all scans
            </Link>
          )}
        </Box>
        {error && (isNotFoundError(error) ? (
          <Box data-testid="not-found">
            <EmptyState
              missing="content"
              title="This scan does not exist"
              description="The link may be mistyped, or the scan was removed. Nothing was changed."
              action={root ? <LinkButton to={root()} variant="contained" color="primary">Show all scans</LinkButton> : undefined}
            />
          </Box>
        ) : (
          <Alert severity="error" action={<Button onClick={reload}>Retry</Button>}>
            The scan could not be loaded. Try again in a moment.
          </Alert>
        ))}
        {!error && !scan && <Progress />}
        {scan && <ScanDetails scan={scan} onChanged={reload} />}
      </Content>
    </Page>
  );
}
