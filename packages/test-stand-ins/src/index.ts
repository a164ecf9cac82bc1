/**
 * Local stand-ins for the services Frontier Guard's integrations talk to, for tests only
 * (never imported by product code; every user lists this package as a devDependency).
 *
 * @packageDocumentation
 */
export * from './azurite';
export * from './tls';
export * from './https';
export * from './kubernetes';
export * from './auditor';
