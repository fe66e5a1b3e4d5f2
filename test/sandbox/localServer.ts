import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface LocalServer {
  readonly port: number;
  /** How many requests reached the server. */
  hits(): number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that counts its requests. */
export async function localServer(handler: Handler): Promise<LocalServer> {
  let hits = 0;
  const server: Server = createServer((request, response) => {
    hits++;
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => handler(request, response, body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
