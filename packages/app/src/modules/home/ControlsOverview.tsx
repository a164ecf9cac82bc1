import {
  securityControls,
  SecurityControl,
  atlasTechniqueUrl,
} from '@internal/plugin-security-controls-common';
import { Content, Header, Link, Page, Table, TableColumn } from '@backstage/core-components';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';

const AREA_TITLES: Record<SecurityControl['area'], string> = {
  identity: 'Identity',
  kubernetes: 'Kubernetes',
  secrets: 'Secrets',
  'access-management': 'Access management',
  'ci-cd': 'CI/CD',
  flexibility: 'Exceptions',
  'weight-protection': 'Weight protection',
  auditing: 'Auditing',
  'third-party-models': 'Third-party models',
};

/** Plugin family → its page and a readable name (families not built yet have no page). */
const PLUGIN_PAGES: Record<string, { title: string; path?: string }> = {
  'access-requests': { title: 'Access', path: '/access' },
  'model-scan': { title: 'Scans', path: '/model-scan' },
  'weight-inventory': { title: 'Inventory', path: '/weight-inventory' },
  'policy-exceptions': { title: 'Exceptions', path: '/policy-exceptions' },
  detections: { title: 'Detections', path: '/detections' },
  audit: { title: 'Audit trail', path: '/audit' },
  foundation: { title: 'Portal foundation' },
};

const nowrap = { whiteSpace: 'nowrap' as const };

const columns: TableColumn<SecurityControl>[] = [
  {
    title: 'Control',
    field: 'title',
    render: c => (
      <>
        <Typography variant="body2">
          <strong>{c.title}</strong>
        </Typography>
        <Typography variant="caption" color="textSecondary" style={nowrap}>
          {c.id}
        </Typography>
      </>
    ),
  },
  { title: 'Area', field: 'area', render: c => AREA_TITLES[c.area], lookup: AREA_TITLES },
  { title: 'What it means', field: 'description', width: '40%' },
  {
    title: 'Covered by',
    field: 'plugins',
    render: c =>
      c.plugins.map(p => {
        const page = PLUGIN_PAGES[p] ?? { title: p };
        return page.path ? (
          <Chip key={p} size="small" label={page.title} clickable component={Link as any} to={page.path} style={{ margin: 2 }} />
        ) : (
          <Chip key={p} size="small" label={page.title} style={{ margin: 2 }} />
        );
      }),
  },
  { title: 'DASF', field: 'dasf', render: c => <span style={nowrap}>{c.dasf.join(', ') || '-'}</span> },
  {
    title: 'MITRE ATLAS',
    field: 'atlas',
    render: c =>
      c.atlas.length
        ? c.atlas.map(t => (
            <div key={t} style={nowrap}>
              <Link to={atlasTechniqueUrl(t)}>{t}</Link>
            </div>
          ))
        : '-',
  },
  { title: 'NIST SP 800-218A', field: 'nist', render: c => c.nist.map(n => <div key={n} style={nowrap}>{n}</div>) },
];

/** /controls: the controls catalog, the plugins that cover each, and their references. */
export function ControlsOverview() {
  return (
    <Page themeId="home">
      <Header title="Controls" subtitle="The security controls of Frontier Guard and what covers each" />
      <Content>
        <Table<SecurityControl>
          title={`Security controls (${securityControls.length})`}
          options={{ paging: true, pageSize: 50, pageSizeOptions: [50, 100], search: true, filtering: false, padding: 'dense' }}
          columns={columns}
          data={[...securityControls]}
        />
      </Content>
    </Page>
  );
}
