import { makeStyles } from '@material-ui/core';
import SecurityIcon from '@material-ui/icons/Security';

const useStyles = makeStyles({
  root: {
    display: 'flex',
    alignItems: 'center',
    gap: 8,
    color: '#7df3e1',
    fontSize: 17,
    fontWeight: 700,
    whiteSpace: 'nowrap',
  },
});

/** The Frontier Guard wordmark shown in the open sidebar. */
export const LogoFull = () => {
  const classes = useStyles();
  return (
    <span className={classes.root}>
      <SecurityIcon fontSize="large" />
      Frontier Guard
    </span>
  );
};
