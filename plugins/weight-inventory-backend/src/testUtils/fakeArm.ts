import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeAccount {
  /** ARM resource JSON of the account (`properties` as the REST API returns them). */
  account: Record<string, any>;
  blobService?: Record<string, any>;
  containers?: Record<string, any>[];
  privateEndpointConnections?: Record<string, any>[];
  diagnosticSettings?: Record<string, any>[];
}

/**
 * A local HTTPS server that answers like Azure Resource Manager for the storage and monitor
 * calls the inventory makes (paged lists with nextLink), and checks the Bearer token.
 */
export async function startFakeArm(options: { cert: string; key: string; subscriptionId: string; accounts: FakeAccount[]; pageSize?: number; token?: string }) {
  const requests: string[] = [];
  const server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push(`${req.method} ${decodeURIComponent(url.pathname).replace(/\/{2,}/g, '/')}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${options.token ?? 'test-token'}`) {
      send(401, { error: { code: 'InvalidAuthenticationToken', message: 'bad token' } });
      return;
    }
    const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const p = decodeURIComponent(url.pathname).replace(/\/{2,}/g, '/').toLowerCase();
    const list = `/subscriptions/${options.subscriptionId}/providers/microsoft.storage/storageaccounts`.toLowerCase();
    if (p === list) {
      const size = options.pageSize ?? 1000;
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const page = options.accounts.slice(skip, skip + size).map(a => a.account);
      const next = skip + size < options.accounts.length ? `${base}${url.pathname}?api-version=${url.searchParams.get('api-version')}&$skiptoken=${skip + size}` : undefined;
      send(200, { value: page, ...(next ? { nextLink: next } : {}) });
      return;
    }
    const m = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)(\/.*)?$/.exec(p);
    const acct = m ? options.accounts.find(a => String(a.account.name).toLowerCase() === m[1]) : undefined;
    if (!m || !acct) {
      send(404, { error: { code: 'ResourceNotFound', message: `not found: ${url.pathname}` } });
      return;
    }
    const rest = m[2] ?? '';
    const id = acct.account.id;
    if (rest === '/blobservices/default') send(200, { id: `${id}/blobServices/default`, name: 'default', type: 'Microsoft.Storage/storageAccounts/blobServices', ...(acct.blobService ?? { properties: {} }) });
    else if (rest === '/blobservices/default/containers') send(200, { value: (acct.containers ?? []).map(c => ({ id: `${id}/blobServices/default/containers/${c.name}`, type: 'Microsoft.Storage/storageAccounts/blobServices/containers', ...c })) });
    else if (rest === '/privateendpointconnections') send(200, { value: acct.privateEndpointConnections ?? [] });
    else if (rest === '/blobservices/default/providers/microsoft.insights/diagnosticsettings') send(200, { value: acct.diagnosticSettings ?? [] });
    else send(404, { error: { code: 'ResourceNotFound', message: `not found: ${url.pathname}` } });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

/** A TokenCredential that hands out a fixed token (the fake ARM server and Azurite accept it). */
export const staticCredential = (token = 'test-token') => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
});
