import * as vscode from 'vscode';
import type { HostInitializationOptions } from '../../protocol/version';
import { askForSecret } from '../secretInput';
import { showWarning } from '../errors';

/** The SecretStorage key of the OTLP export headers, kept as `OTEL_EXPORTER_OTLP_HEADERS` writes them. */
const OTLP_HEADERS_SECRET = 'keel.telemetry.otlp.headers';

/** What the host needs to export spans, from `keel.telemetry.*` and SecretStorage; undefined while no endpoint is set. */
export async function telemetryOptions(secrets: vscode.SecretStorage): Promise<HostInitializationOptions['telemetry']> {
  const config = vscode.workspace.getConfiguration('keel.telemetry');
  const endpoint = config.get<string>('otlp.endpoint', '').trim();
  if (!endpoint) return undefined;
  // The host refuses initialization options that do not parse; a mistyped endpoint must cost the export, not the host.
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    void showWarning(vscode.l10n.t('"keel.telemetry.otlp.endpoint" is not an http(s) URL ({0}); traces are not exported. Example: http://localhost:4318', endpoint));
    return undefined;
  }
  const headers = await secrets.get(OTLP_HEADERS_SECRET);
  return { otlpEndpoint: endpoint, ...(headers ? { otlpHeaders: headers } : {}), captureContent: config.get<boolean>('captureContent', false) };
}

/** "Keel: Set OTLP Export Headers…", and a restart offer when the export or history settings change: the host reads them at start. */
export function registerTelemetry(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('keel.setOtlpHeaders', () => setOtlpHeaders(context.secrets)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('keel.telemetry')) void offerRestart(vscode.l10n.t('The trace export settings changed.'));
      else if (event.affectsConfiguration('keel.traces')) void offerRestart(vscode.l10n.t('The trace history settings changed.'));
    }),
  );
}

async function setOtlpHeaders(secrets: vscode.SecretStorage): Promise<void> {
  const done = await askForSecret(secrets, OTLP_HEADERS_SECRET, {
    title: vscode.l10n.t('OTLP export headers'),
    prompt: vscode.l10n.t('As in OTEL_EXPORTER_OTLP_HEADERS: key=value pairs separated by commas, values percent-encoded (Authorization=Basic%20…). Stored in SecretStorage; leave empty to remove them.'),
  });
  if (done) await offerRestart(done === 'stored' ? vscode.l10n.t('The OTLP export headers are stored.') : vscode.l10n.t('The OTLP export headers were removed.'));
}

async function offerRestart(what: string): Promise<void> {
  const restart = vscode.l10n.t('Restart Host');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Keel: {0} The agent host uses them once it restarts.', what), restart);
  if (choice === restart) await vscode.commands.executeCommand('keel.restartHost');
}
