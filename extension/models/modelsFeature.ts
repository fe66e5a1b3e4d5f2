import * as vscode from 'vscode';
import { VsCodeChatRequest, VsCodeChatTextNotification } from '../../protocol/rpc';
import { errorText, showError } from '../errors';
import type { AgentHost } from '../host/agentHost';
import { askForSecret } from '../secretInput';
import { OPENAI_KEY_SECRET } from '../settings';
import { configureModels } from './configureModels';
import { chatWithLanguageModel } from './languageModelChat';

/** "Keel: Configure Models…", "Keel: Set OpenAI API Key", and the host's chats with VS Code's language models. */
export function registerModels(context: vscode.ExtensionContext, host: AgentHost, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    host.onClient((client) =>
      client.onRequest(VsCodeChatRequest.type, (params, token) =>
        chatWithLanguageModel(params, (delta) => void client.sendNotification(VsCodeChatTextNotification.type, { requestId: params.requestId, delta }), token),
      ),
    ),
    vscode.commands.registerCommand('keel.configureModels', () => configureModels(() => host.ensureStarted(), context.secrets).catch((error) => showError(errorText(error), log))),
    vscode.commands.registerCommand('keel.setOpenAIKey', () => setOpenAIKey(context.secrets)),
  );
}

async function setOpenAIKey(secrets: vscode.SecretStorage): Promise<void> {
  const done = await askForSecret(secrets, OPENAI_KEY_SECRET, { title: 'OpenAI API key', prompt: 'Stored in VS Code\'s SecretStorage. Leave empty to remove the stored key.' });
  if (done === 'removed') void vscode.window.showInformationMessage('Keel: the OpenAI API key was removed; runs use Ollama unless "keel.model.provider" says otherwise.');
  if (done === 'stored') void vscode.window.showInformationMessage('Keel: the OpenAI API key is stored; runs now use OpenAI.');
}
