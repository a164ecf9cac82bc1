import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CertificatePair } from './tls';

/** A request as the stand-in server received it. */
export interface RecordedRequest {
  method: string;
  /** Raw request target (path and query as sent). */
  url: string;
  /** Decoded path. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: any;
  /** `https://127.0.0.1:<port>` of this server (for links such as nextLink). */
  origin: string;
}

export type StandInResponse = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export type Handler = (
  req: RecordedRequest,
) => StandInResponse | Promise<StandInResponse>;

export interface StartedHttpsServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1 (ephemeral port) that records every request and
 * answers with `handler` (JSON out; a thrown error becomes a 500).
 */
export async function startHttpsServer(
  certificate: CertificatePair,
  handler: Handler,
): Promise<StartedHttpsServer> {
  const requests: RecordedRequest[] = [];
  let origin = '';
  const server = https.createServer(
    { cert: certificate.cert, key: certificate.key },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const u = new URL(req.url ?? '/', 'https://127.0.0.1');
        let body: any = undefined;
        if (raw) {
          try {
            body = JSON.parse(raw);
          } catch {
            body = raw;
          }
        }
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          path: decodeURIComponent(u.pathname),
          query: u.searchParams,
          headers: req.headers,
          body,
          origin,
        };
        requests.push(recorded);
        try {
          const out = await handler(recorded);
          res.writeHead(out.status, {
            'content-type': 'application/json',
            ...out.headers,
          });
          res.end(out.body === undefined ? '' : JSON.stringify(out.body));
        } catch (e) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: String(e) }));
        }
      });
    },
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
