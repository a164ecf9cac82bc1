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

const columns: TableColumn<SecurityControl>[] = [
  {
    title: 'Control',
    field: 'title',
    render: c => (
      <>
        <Typography variant="body2">
          <strong>{c.title}</strong>
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {c.id}
        </Typography>
      </>
    ),
  },
  { title: 'Area', field: 'area', render: c => AREA_TITLES[c.area] },
  { title: 'What it means', field: 'description', width: '35%' },
  {
    title: 'Covered by',
    field: 'plugins',
    render: c => c.plugins.map(p => <Chip key={p} size="small" label={p} style={{ margin: 2 }} />),
  },
  { title: 'DASF', field: 'dasf', render: c => c.dasf.join(', ') || '-' },
  {
    title: 'MITRE ATLAS',
    field: 'atlas',
    render: c =>
      c.atlas.length
        ? c.atlas.map(t => (
            <div key={t}>
              <Link to={atlasTechniqueUrl(t)}>{t}</Link>
            </div>
          ))
        : '-',
  },
  { title: 'NIST SP 800-218A', field: 'nist', render: c => c.nist.join(', ') },
];

/** The home page: the controls of the brief and the plugins that cover each. */
export function ControlsOverview() {
  return (
    <Page themeId="home">
      <Header
        title="Frontier Guard"
        subtitle="Security controls for AI research infrastructure"
      />
      <Content>
        <Table<SecurityControl>
          title="Security controls"
          options={{ paging: false, search: true, padding: 'dense' }}
          columns={columns}
          data={[...securityControls]}
        />
      </Content>
    </Page>
  );
}
