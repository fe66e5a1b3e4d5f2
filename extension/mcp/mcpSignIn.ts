import * as vscode from 'vscode';
import {
  McpCredentialsRequest, McpOpenAuthorizationRequest, McpSaveCredentialsRequest, McpServersChangedNotification, McpSignInRequest, McpSignOutRequest,
  type McpServerInfo,
} from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { mcpStateLabel } from '../../protocol/stateLabels';

/** One SecretStorage entry per server: its tokens and client registration, as the host wrote them. */
const credentialsKey = (server: string) => `keel.mcp.oauth.${server}`;

/** MCP servers' states as the host last reported them, for the status bar and "Keel: Show Tools". */
export interface McpServerStates {
  /** Every configured server, as the host last reported it. */
  all(): readonly McpServerInfo[];
  /** Servers waiting for the user to sign in. */
  waitingForSignIn(): readonly McpServerInfo[];
  readonly onDidChange: vscode.Event<void>;
  /** Takes the states `mcp/setServers` answered. */
  update(servers: readonly McpServerInfo[]): void;
}

/**
 * OAuth sign-in to MCP servers in VS Code: the host's credentials in SecretStorage, its authorization pages opened in
 * the browser (they come back to the host's loopback redirect), "Keel: Sign In to MCP Server…" and "Keel: Sign Out
 * of MCP Server…", and a status bar button while a server waits for sign-in.
 */
export function registerMcpSignIn(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): McpServerStates {
  let servers: readonly McpServerInfo[] = [];
  const changed = new vscode.EventEmitter<void>();
  const update = (next: readonly McpServerInfo[]) => {
    servers = next;
    changed.fire();
  };
  const waitingForSignIn = () => servers.filter((s) => s.state === 'needs-sign-in');
  const item = vscode.window.createStatusBarItem('keel.mcpSignIn', vscode.StatusBarAlignment.Left, 49);
  item.name = vscode.l10n.t('Keel MCP Sign-In');
  item.command = 'keel.signInMcpServer';
  item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  const render = () => {
    const waiting = waitingForSignIn();
    const names = waiting.map((s) => `"${s.name}"`).join(', ');
    item.text = waiting.length === 1 ? vscode.l10n.t('$(sign-in) Sign in to {0}', waiting[0]!.name) : vscode.l10n.t('$(sign-in) Sign in to {0} MCP servers', waiting.length);
    item.tooltip = waiting.length === 1 ? vscode.l10n.t('Keel: MCP server {0} waits for you to sign in. Click to sign in.', names)
      : vscode.l10n.t('Keel: MCP servers {0} wait for you to sign in. Click to sign in.', names);
    if (waiting.length > 0) item.show();
    else item.hide();
  };

  const signIn = async (server?: string): Promise<McpServerInfo | undefined> => {
    const name = server ?? (await pickServer(waitingForSignIn(), vscode.l10n.t('Sign in to which MCP server?')));
    if (!name) return undefined;
    try {
      const client = await host.ensureStarted();
      const status = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Keel: signing in to MCP server "{0}" in your browser…', name) },
        () => client.sendRequest(McpSignInRequest.type, { server: name }),
      );
      update([...servers.filter((s) => s.name !== name), status]);
      if (status.state === 'connected') void vscode.window.showInformationMessage(vscode.l10n.t('Keel: signed in to MCP server "{0}" ({1} tools).', name, status.tools));
      else void showError(vscode.l10n.t('MCP server "{0}" is not connected: {1}', name, status.error ?? mcpStateLabel(status.state)), log);
      return status;
    } catch (error) {
      void showError(errorText(error), log);
      return undefined;
    }
  };

  const signOut = async (server?: string): Promise<void> => {
    const name = server ?? (await pickServer(servers, vscode.l10n.t('Sign out of which MCP server?')));
    if (!name) return;
    await context.secrets.delete(credentialsKey(name));
    if (host.state === 'running') {
      try {
        // The host also drops the tokens it holds and reconnects without them.
        await (await host.ensureStarted()).sendRequest(McpSignOutRequest.type, { server: name });
      } catch (error) {
        void showError(errorText(error), log);
        return;
      }
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('Keel: signed out of MCP server "{0}"; its tokens and registration are deleted.', name));
  };

  render();
  context.subscriptions.push(
    changed,
    item,
    changed.event(render),
    host.onClient((client) => {
      client.onRequest(McpCredentialsRequest.type, async ({ server }) => {
        const credentials = await context.secrets.get(credentialsKey(server));
        return credentials === undefined ? {} : { credentials };
      });
      client.onRequest(McpSaveCredentialsRequest.type, async ({ server, credentials }) => {
        if (credentials === undefined) await context.secrets.delete(credentialsKey(server));
        else await context.secrets.store(credentialsKey(server), credentials);
      });
      client.onRequest(McpOpenAuthorizationRequest.type, async ({ server, url, reason }) => ({ opened: await openAuthorization(server, url, reason, log) }));
      client.onNotification(McpServersChangedNotification.type, ({ servers: next }) => update(next));
    }),
    vscode.commands.registerCommand('keel.signInMcpServer', signIn),
    vscode.commands.registerCommand('keel.signOutMcpServer', signOut),
  );
  return { all: () => servers, waitingForSignIn, onDidChange: changed.event, update };
}

/**
 * Opens a server's authorization page. A first sign-in is what the user just asked for; a step-up in the middle of
 * a run is asked about first. Only HTTPS pages (or this machine's) are opened, whatever the host was told.
 */
async function openAuthorization(server: string, url: string, reason: 'sign-in' | 'step-up', log: vscode.LogOutputChannel): Promise<boolean> {
  const page = URL.canParse(url) ? new URL(url) : undefined;
  if (!page || !(page.protocol === 'https:' || (page.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(page.hostname)))) {
    log.warn(`MCP server "${server}": not opening a sign-in page that is not HTTPS: ${url.slice(0, 200)}`);
    return false;
  }
  if (reason === 'step-up') {
    const signIn = vscode.l10n.t('Sign In');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: MCP server "{0}" asks you to sign in again to allow more for this call.', server), signIn);
    if (choice !== signIn) return false;
  }
  // The browser returns to the host's loopback listener. When the host runs elsewhere (a remote window), asking for
  // the redirect's external URI forwards its port, so the browser's machine reaches the listener.
  const redirect = page.searchParams.get('redirect_uri');
  if (redirect?.startsWith('http://127.0.0.1:')) await vscode.env.asExternalUri(vscode.Uri.parse(redirect)).then(undefined, () => undefined);
  return vscode.env.openExternal(vscode.Uri.parse(url, true));
}

async function pickServer(servers: readonly McpServerInfo[], title: string): Promise<string | undefined> {
  if (servers.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no MCP server is waiting for this. Configure servers in "keel.mcp.servers" or .vscode/mcp.json.'));
    return undefined;
  }
  if (servers.length === 1) return servers[0]!.name;
  return (await vscode.window.showQuickPick(servers.map((s) => ({ label: s.name, description: `${s.source} · ${mcpStateLabel(s.state)}` })), { title }))?.label;
}
