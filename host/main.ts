/**
 * The agent host process. The extension starts it through vscode-languageclient over Node IPC; it speaks
 * only the Keel protocol and exits when its parent dies (vscode-languageserver watches the client's pid).
 */
import { createConnection, ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import { protocolMismatch, PROTOCOL_VERSION, type HostInfo } from '../protocol/version';
import { CancelRunRequest, PingRequest, RunFinishedNotification, SpanNotification, StartRunRequest } from '../protocol/rpc';
import { RunManager } from './orchestration/runs';
import { builtinTools } from './tools';
import { RpcWorkspace } from './workspace/rpcWorkspace';
import { parseStartRunParams } from './startRunParams';

const HOST_VERSION = '0.1.0';

const connection = createConnection();
const runs = new RunManager({
  workspace: new RpcWorkspace(connection),
  tools: builtinTools(),
  spans: (span) => void connection.sendNotification(SpanNotification.type, span),
  finished: (result) => void connection.sendNotification(RunFinishedNotification.type, result),
});

connection.onInitialize((params) => {
  const mismatch = protocolMismatch((params.initializationOptions as { protocolVersion?: unknown } | undefined)?.protocolVersion);
  if (mismatch) throw new ResponseError(ErrorCodes.InvalidRequest, mismatch, { retry: false });
  const keel: HostInfo = { protocolVersion: PROTOCOL_VERSION, hostVersion: HOST_VERSION };
  return { capabilities: {}, serverInfo: { name: 'keel-host', version: HOST_VERSION }, keel };
});

connection.onRequest(StartRunRequest.type, (params) => {
  try {
    const { runId } = runs.start(parseStartRunParams(params));
    connection.console.info(`run ${runId} started`);
    return { runId };
  } catch (error) {
    return new ResponseError(ErrorCodes.InvalidParams, (error as Error).message);
  }
});

connection.onRequest(CancelRunRequest.type, ({ runId }) => ({ cancelled: runs.cancel(runId) }));

connection.onRequest(PingRequest.type, ({ sentAt }) => ({ sentAt, pid: process.pid }));

connection.onShutdown(() => runs.cancelAll());

connection.listen();
