import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { PROTOCOL_VERSION, type HostInfo } from '../../protocol/version';

export const HOST_BUNDLE = join(__dirname, '..', '..', 'dist', 'host.js');

export interface HostProcess {
  readonly child: ChildProcess;
  readonly connection: MessageConnection;
  /** Sends initialize/initialized; resolves with what the host says about itself. */
  initialize(options?: { protocolVersion?: number; processId?: number; workspace?: string; filesExclude?: readonly string[]; storageDir?: string; l10nBundle?: string }): Promise<HostInfo>;
  /** Shuts the host down the way vscode-languageclient does and waits for the process to exit. */
  stop(): Promise<number | null>;
}

/**
 * Forks the built host over Node IPC, as the extension does, and connects a JSON-RPC client to it. `env` adds to the
 * test's environment (e.g. `KEEL_MANAGED_POLICY`).
 */
export function startHost(env: NodeJS.ProcessEnv = {}): HostProcess {
  // No inherited execArgv: the test runner's loaders (tsx) are not part of the host the extension starts.
  const child = fork(HOST_BUNDLE, ['--node-ipc'], { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    connection,
    async initialize(options = {}) {
      const result = await connection.sendRequest<{ keel: HostInfo }>('initialize', {
        processId: options.processId ?? process.pid,
        rootUri: null,
        workspaceFolders: options.workspace ? [{ uri: pathToFileURL(options.workspace).href, name: 'workspace' }] : null,
        capabilities: {},
        initializationOptions: { protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION, ...(options.filesExclude ? { filesExclude: options.filesExclude } : {}), ...(options.storageDir ? { storageDir: options.storageDir } : {}), ...(options.l10nBundle ? { l10nBundle: options.l10nBundle } : {}) },
      });
      await connection.sendNotification('initialized', {});
      return result.keel;
    },
    async stop() {
      if (child.exitCode === null) {
        await connection.sendRequest('shutdown').catch(() => undefined);
        await connection.sendNotification('exit').catch(() => undefined);
      }
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
      connection.dispose();
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error('the host did not exit within 5 s of shutdown/exit');
      }
      return code;
    },
  };
}
