/**
 * The agent host process: a thin JSON-RPC adapter around `AgentHost`. The extension starts it through
 * vscode-languageclient over Node IPC; it speaks only the Keel protocol and exits when its parent dies
 * (vscode-languageserver watches the client's pid).
 */
import * as l10n from '@vscode/l10n';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, MessageType, ResponseError, ErrorCodes, ShowMessageNotification, type Connection, type InitializeParams } from 'vscode-languageserver/node';
import { checkParams } from '../protocol/params';
import { FailedTasksChangedNotification, McpServersChangedNotification, PingRequest, RunFinishedNotification, RunsChangedNotification, SpanNotification } from '../protocol/rpc';
import { hostInitializationOptionsSchema, protocolMismatch, PROTOCOL_VERSION, type HostInfo } from '../protocol/version';
import { AgentHost } from './agentHost';
import { RpcConsent } from './governance/rpcConsent';
import { serveMemory } from './memory/workspaceIndex/serveMemory';
import { loadTokenCounter } from './orchestration/tokens';
import { rpcVsCodeChat } from './models/rpcVsCodeChat';
import { registerEnvSecrets } from './observability/knownSecrets';
import { startOtlpExport, teeSpans, type OtlpExporter } from './observability/otlp';
import { parseOtlpHeaders } from './observability/otlpSettings';
import { traceRetention } from './observability/traceStore';
import { HostLog, type LogLevel } from './observability/log';
import { guardProcess } from './processGuard';
import { serveRuns } from './rpc/serveRuns';
import { rpcMcpAuth } from './rpc/rpcMcpAuth';
import { serveTools } from './rpc/serveTools';
import { serveTraces } from './rpc/serveTraces';
import { serveAudit } from './rpc/serveAudit';
import { servePolicy } from './rpc/servePolicy';
import { alertsNotifier, metricsNotifier, serveMetrics } from './rpc/serveMetrics';
import { onValidatedRequest } from './validatedHandlers';
import { RpcWorkspace } from './workspace/rpcWorkspace';
import { loadTranslations } from './translations';

const HOST_VERSION = '0.1.0';

const connection = createConnection();
// Lines reach the extension's "Keel" log channel at their level; `initialize` adds the JSON-lines file.
const hostLog = new HostLog({ console: (level, text) => connection.console[level](text) });
const log = (message: string, level: LogLevel = 'info') => hostLog[level](message);
// Keys in the host's own environment, and those the extension sends (runs, sampling, MCP servers), are redacted everywhere.
registerEnvSecrets(process.env);
guardProcess(hostLog.error);
let initialized = false;

connection.onInitialize(async (params) => {
  // One host per process: a second initialize would build another beside the first, whose runs nobody could reach.
  if (initialized) throw new ResponseError(ErrorCodes.InvalidRequest, l10n.t('The host is already initialized; start a new host process for another workspace.'), { retry: false });
  // Parsing the tokenizer's ranks blocks the thread for about 250 ms. Done here, before the client can send
  // anything, no run and no ping ever waits on it; the first task waits for initialize and needs it at once anyway.
  await loadTokenCounter();
  // Refused options leave the host uninitialized, so the client can correct them and try again.
  const { host, otlp, metricsChanged } = assemble(connection, params);
  initialized = true;
  serveRuns(connection, host);
  serveTools(connection, host);
  serveTraces(connection, host);
  serveAudit(connection, host);
  servePolicy(connection, host);
  serveMetrics(connection, host, metricsChanged);
  serveMemory(connection, host.toolbox.memory, { hide: (globs) => host.hideFiles(globs), log });
  connection.onShutdown(async () => {
    await host.shutdown();
    // After the runs' last spans have ended; bounded, so a slow collector cannot hold the host up.
    await otlp?.shutdown();
    hostLog.close();
  });
  const keel: HostInfo = { protocolVersion: PROTOCOL_VERSION, hostVersion: HOST_VERSION };
  return { capabilities: {}, serverInfo: { name: 'keel-host', version: HOST_VERSION }, keel };
});

/** The host for the folders and options the extension sent, reaching the workspace and the user through it. */
function assemble(connection: Connection, params: InitializeParams): { host: AgentHost; otlp: OtlpExporter | undefined; metricsChanged: () => void } {
  const options = params.initializationOptions as { protocolVersion?: unknown; l10nBundle?: unknown } | null | undefined;
  // First, so that the refusals below reach the user in their language too.
  if (typeof options?.l10nBundle === 'string') loadTranslations(options.l10nBundle, (message) => log(message, 'warn'));
  const mismatch = protocolMismatch(options?.protocolVersion);
  if (mismatch) throw new ResponseError(ErrorCodes.InvalidRequest, mismatch, { retry: false });
  const checked = checkParams(hostInitializationOptionsSchema, params.initializationOptions, 'initialize');
  if (!checked.ok) throw new ResponseError(ErrorCodes.InvalidParams, checked.message, { retry: false });
  const roots = (params.workspaceFolders ?? []).map((f) => ({ uri: f.uri, name: f.name }));
  const first = roots[0]?.uri;
  const root = first?.startsWith('file:') ? fileURLToPath(first) : undefined;
  const storageDir = checked.params.storageDir ?? join(tmpdir(), 'keel-host');
  hostLog.writeTo(join(storageDir, 'logs'));
  const telemetry = checked.params.telemetry;
  const otlp = telemetry
    ? startOtlpExport({ endpoint: telemetry.otlpEndpoint, headers: parseOtlpHeaders(telemetry.otlpHeaders ?? ''), captureContent: telemetry.captureContent ?? false, serviceVersion: HOST_VERSION, log })
    : undefined;
  const metricsChanged = metricsNotifier(connection);
  const host = new AgentHost(
    {
      workspace: new RpcWorkspace(connection, () => root),
      consent: new RpcConsent(connection),
      spans: teeSpans((span) => void connection.sendNotification(SpanNotification.type, span), otlp?.sink),
      finished: (result) => void connection.sendNotification(RunFinishedNotification.type, result),
      log,
      // vscode-languageclient shows window/showMessage as a notification; the request form would wait for a click.
      warn: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
      vscodeChat: rpcVsCodeChat(connection, log),
      mcpAuth: rpcMcpAuth(connection),
      mcpStatus: (servers) => void connection.sendNotification(McpServersChangedNotification.type, { servers }),
      alertsChanged: alertsNotifier(connection),
      metricsChanged,
      failedTasksChanged: (count) => void connection.sendNotification(FailedTasksChangedNotification.type, { count }),
      runsChanged: (change) => void connection.sendNotification(RunsChangedNotification.type, change),
    },
    {
      root,
      roots,
      storageDir,
      filesExclude: checked.params.filesExclude ?? [],
      ...(checked.params.traces ? { traceRetention: traceRetention(checked.params.traces) } : {}),
    },
  );
  return { host, otlp, metricsChanged };
}

onValidatedRequest(connection, PingRequest, ({ sentAt }) => ({ sentAt, pid: process.pid, hostTime: performance.timeOrigin + performance.now() }));

connection.listen();
