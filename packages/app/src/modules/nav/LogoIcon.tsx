import SecurityIcon from '@material-ui/icons/Security';

/** The Frontier Guard mark shown in the collapsed sidebar. */
export const LogoIcon = () => <SecurityIcon fontSize="large" style={{ color: '#7df3e1' }} />;
