import * as vscode from 'vscode';
import {
  CloseAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { PROTOCOL_VERSION, protocolMismatch, type HostInfo, type HostInitializationOptions } from '../../protocol/version';
import { hiddenFileGlobs } from '../memory/hiddenFiles';
import { traceRetentionOptions } from './traceRetention';
import { telemetryOptions } from './telemetry';

export type HostState = 'stopped' | 'starting' | 'running' | 'startFailed';

const STATE_NAMES: Record<State, HostState> = {
  [State.Stopped]: 'stopped',
  [State.Starting]: 'starting',
  [State.Running]: 'running',
  [State.StartFailed]: 'startFailed',
};

/** How many crashes in three minutes the default handler tolerates before it stops restarting the host. */
const MAX_RESTARTS = 4;

/**
 * The agent host process and its JSON-RPC client. Started on first need; restarted by the client after a crash
 * until it crashes too often, then the user is told how to recover.
 */
export class AgentHost implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<HostState>();
  private readonly crashEmitter = new vscode.EventEmitter<void>();
  /** Every state the host went through, oldest first; tests assert on it. */
  readonly stateHistory: HostState[] = [];
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires when the host process went away unexpectedly (before any restart). */
  readonly onDidCrash = this.crashEmitter.event;
  private readonly configure: ((client: LanguageClient) => void)[] = [];

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  get state(): HostState {
    return this.stateHistory.at(-1) ?? 'stopped';
  }

  /**
   * Installs handlers for the host's requests and notifications on every client session: the one running now and
   * each one started later. Handlers live as long as their client; disposing the result stops installing them.
   */
  onClient(configure: (client: LanguageClient) => void): vscode.Disposable {
    this.configure.push(configure);
    if (this.client) configure(this.client);
    return new vscode.Disposable(() => {
      const index = this.configure.indexOf(configure);
      if (index >= 0) this.configure.splice(index, 1);
    });
  }

  /** The running client, starting the host if it is not running. */
  async ensureStarted(): Promise<LanguageClient> {
    if (this.client?.isRunning()) return this.client;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<LanguageClient> {
    await this.stop();
    return this.ensureStarted();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.dispose(2000).catch((error) => this.log.warn(`host did not stop cleanly: ${error}`));
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.crashEmitter.dispose();
  }

  private async start(): Promise<LanguageClient> {
    const module = this.context.asAbsolutePath('dist/host.js');
    const debugPort = vscode.workspace.getConfiguration('keel').get<number>('host.debugPort', 6009);
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', `--inspect=${debugPort}`] } },
    };
    const telemetry = await telemetryOptions(this.context.secrets);
    const initializationOptions: HostInitializationOptions = {
      protocolVersion: PROTOCOL_VERSION,
      ...(vscode.l10n.uri?.scheme === 'file' ? { l10nBundle: vscode.l10n.uri.fsPath } : {}),
      storageDir: this.context.globalStorageUri.fsPath,
      filesExclude: hiddenFileGlobs(),
      traces: traceRetentionOptions(),
      ...(telemetry ? { telemetry } : {}),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      initializationOptions,
      errorHandler: {
        error: (error, message, count) => defaultHandler.error(error, message, count),
        closed: async () => this.onClosed(await defaultHandler.closed()),
      },
    };
    const client = new LanguageClient('keel', 'Keel Agent Host', serverOptions, clientOptions);
    // The handlers above only run once the client has started, after this line.
    const defaultHandler: ErrorHandler = client.createDefaultErrorHandler(MAX_RESTARTS);
    client.onDidChangeState(({ newState }) => this.recordState(STATE_NAMES[newState]));
    for (const configure of this.configure) configure(client);
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      throw new Error(vscode.l10n.t('The Keel agent host did not start: {0}. See "Keel: Show Host Log".', (error as Error).message), { cause: error });
    }
    const mismatch = protocolMismatch((client.initializeResult as { keel?: HostInfo } | undefined)?.keel?.protocolVersion);
    if (mismatch) {
      await this.stop();
      throw new Error(mismatch);
    }
    return client;
  }

  private onClosed(result: CloseHandlerResult): CloseHandlerResult {
    this.crashEmitter.fire();
    if (result.action === CloseAction.Restart) {
      this.log.warn('The agent host stopped unexpectedly; restarting it.');
      return { action: CloseAction.Restart, handled: true };
    }
    const message = vscode.l10n.t('The Keel agent host crashed {0} times in three minutes and will not be restarted. Look at "Keel: Show Host Log" for the cause, then run "Keel: Restart Agent Host".', MAX_RESTARTS + 1);
    this.log.error(message);
    const showLog = vscode.l10n.t('Show Log');
    const restart = vscode.l10n.t('Restart Host');
    void vscode.window.showErrorMessage(message, showLog, restart).then((choice) => {
      if (choice === showLog) this.log.show();
      if (choice === restart) void vscode.commands.executeCommand('keel.restartHost');
    });
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private recordState(state: HostState): void {
    this.log.info(`agent host: ${state}`);
    this.stateHistory.push(state);
    this.stateEmitter.fire(state);
  }
}
