import * as vscode from 'vscode';
import { VsCodeChatRequest, VsCodeChatTextNotification } from '../../protocol/rpc';
import { CONFIGURE_MODELS, errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { askForSecret } from '../secretInput';
import { OPENAI_KEY_SECRET } from '../settings';
import { configureModels } from './configureModels';
import { FirstModel } from './firstModel';
import { chatWithLanguageModel } from './languageModelChat';
import { createModelView } from './modelView';
import { ModelStatus } from './modelStatus';

/** The model runs use, as the rest of the extension sees it. */
export interface Models {
  readonly status: ModelStatus;
  /** True when the model answers; otherwise says why with the buttons that fix it, and resolves false. */
  readyToRun(): Promise<boolean>;
}

/**
 * "Keel: Configure Models…", "Keel: Set OpenAI API Key", the first-model commands, the Model view, and the host's
 * chats with VS Code's language models.
 */
export function registerModels(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): Models {
  const status = new ModelStatus(host, context.secrets);
  const first = new FirstModel(() => host.ensureStarted(), context.secrets, status, log);
  const guarded = (run: () => Promise<unknown>) => () => run().catch((error: unknown) => showError(errorText(error), log));
  context.subscriptions.push(
    status,
    createModelView(status),
    host.onClient((client) =>
      client.onRequest(VsCodeChatRequest.type, (params, token) =>
        chatWithLanguageModel(params, (delta) => void client.sendNotification(VsCodeChatTextNotification.type, { requestId: params.requestId, delta }), token),
      ),
    ),
    vscode.commands.registerCommand('keel.configureModels', guarded(() => configureModels(() => host.ensureStarted(), context.secrets))),
    vscode.commands.registerCommand('keel.setOpenAIKey', () => setOpenAIKey(context.secrets)),
    vscode.commands.registerCommand('keel.useOllama', guarded(() => first.useOllama())),
    vscode.commands.registerCommand('keel.useOpenAICompatible', guarded(() => first.useOpenAICompatible())),
    vscode.commands.registerCommand('keel.useVsCodeModel', guarded(() => first.useVsCodeModel())),
    vscode.commands.registerCommand('keel.checkModel', () => status.check()),
  );
  const readyToRun = async () => {
    if (await status.answers()) return true;
    const state = status.state;
    // The check's error names the model and the server already.
    const why = state.phase === 'checked' ? state.result.error?.message : state.phase === 'settings' ? vscode.l10n.t('the model settings are not valid: {0}', state.message) : undefined;
    void showError(vscode.l10n.t('The task did not start: {0}', why ?? vscode.l10n.t('{0} does not answer.', state.intended)), log, CONFIGURE_MODELS);
    return false;
  };
  return { status, readyToRun };
}

async function setOpenAIKey(secrets: vscode.SecretStorage): Promise<void> {
  const done = await askForSecret(secrets, OPENAI_KEY_SECRET, { title: vscode.l10n.t('OpenAI API key'), prompt: vscode.l10n.t('Stored in VS Code\'s SecretStorage. Leave empty to remove the stored key.') });
  if (done === 'removed') void vscode.window.showInformationMessage(vscode.l10n.t('Keel: the OpenAI API key was removed; runs use Ollama unless "keel.model.provider" says otherwise.'));
  if (done === 'stored') void vscode.window.showInformationMessage(vscode.l10n.t('Keel: the OpenAI API key is stored; runs now use OpenAI.'));
}
