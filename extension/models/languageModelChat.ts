import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import type { ChatMessage, LanguageModelSelector, ToolCall, VsCodeChatParams, VsCodeChatResult } from '../../protocol/models';

/** JSON-RPC error code for a failed model call; `data.kind` carries the host's error kind. */
const MODEL_ERROR_CODE = -32001;

/**
 * Answers the host's `model/vscodeChat`: one chat with a model VS Code offers (Copilot's, or any extension's),
 * its text streamed back through `onText`. VS Code has no system role, so system text leads the first user turn.
 */
export async function chatWithLanguageModel(params: VsCodeChatParams, onText: (delta: string) => void, token: vscode.CancellationToken): Promise<VsCodeChatResult> {
  const model = await selectModel(params.selector);
  const messages = toLanguageModelMessages(params.messages);
  const tools = params.tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.parameters }));
  let response: vscode.LanguageModelChatResponse;
  try {
    response = await model.sendRequest(messages, { justification: 'Keel runs an agent task you started.', ...(tools.length ? { tools } : {}) }, token);
  } catch (error) {
    throw asResponseError(error, model);
  }
  let content = '';
  const toolCalls: ToolCall[] = [];
  try {
    for await (const part of response.stream) {
      if (part instanceof vscode.LanguageModelTextPart) {
        content += part.value;
        onText(part.value);
      } else if (part instanceof vscode.LanguageModelToolCallPart) {
        toolCalls.push({ id: part.callId, name: part.name, arguments: part.input });
      }
    }
  } catch (error) {
    throw asResponseError(error, model, 'torn_stream');
  }
  const inputTokens = await countTokens(model, messages, token);
  const outputTokens = await model.countTokens(content + toolCalls.map((c) => c.name + JSON.stringify(c.arguments)).join(''), token);
  return { content, toolCalls, usage: { inputTokens, outputTokens, estimated: true }, responseModel: `${model.vendor}/${model.family} (${model.id})` };
}

/** The models VS Code offers now, for "Keel: Configure Models…". */
export async function listLanguageModels(): Promise<readonly vscode.LanguageModelChat[]> {
  return vscode.lm.selectChatModels();
}

async function selectModel(selector: LanguageModelSelector): Promise<vscode.LanguageModelChat> {
  const [model] = await vscode.lm.selectChatModels(selector);
  if (model) return model;
  const all = await vscode.lm.selectChatModels();
  const wanted = [selector.vendor, selector.family].filter(Boolean).join('/') || 'any model';
  const offered = all.length ? `VS Code offers: ${all.map((m) => `${m.vendor}/${m.family}`).join(', ')}.` : 'VS Code offers no language models right now.';
  throw new ResponseError(MODEL_ERROR_CODE, `No VS Code language model matches "${wanted}". ${offered} Install and sign in to GitHub Copilot Chat (or another extension that provides models), or pick one with "Keel: Configure Models…".`, { kind: 'not_found' });
}

function toLanguageModelMessages(messages: readonly ChatMessage[]): vscode.LanguageModelChatMessage[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const result: vscode.LanguageModelChatMessage[] = [];
  let systemPending = system !== '';
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        break;
      case 'user':
        result.push(vscode.LanguageModelChatMessage.User(systemPending ? `${system}\n\n${message.content}` : message.content));
        systemPending = false;
        break;
      case 'assistant':
        result.push(vscode.LanguageModelChatMessage.Assistant([
          ...(message.content ? [new vscode.LanguageModelTextPart(message.content)] : []),
          ...(message.toolCalls ?? []).map((call) => new vscode.LanguageModelToolCallPart(call.id, call.name, isRecord(call.arguments) ? call.arguments : {})),
        ]));
        break;
      case 'tool':
        result.push(vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart(message.toolCallId, [new vscode.LanguageModelTextPart(message.content)])]));
        break;
    }
  }
  return result;
}

async function countTokens(model: vscode.LanguageModelChat, messages: readonly vscode.LanguageModelChatMessage[], token: vscode.CancellationToken): Promise<number> {
  let total = 0;
  for (const message of messages) total += await model.countTokens(message, token);
  return total;
}

function asResponseError(error: unknown, model: vscode.LanguageModelChat, fallbackKind = 'server'): Error {
  if (error instanceof vscode.CancellationError) return error;
  const name = `${model.vendor}/${model.family}`;
  if (error instanceof vscode.LanguageModelError) {
    const kinds: Record<string, [kind: string, hint: string]> = {
      [vscode.LanguageModelError.NoPermissions.name]: ['auth', 'Allow Keel to use it when VS Code asks, or manage access under Accounts → Manage Language Model Access.'],
      [vscode.LanguageModelError.Blocked.name]: ['rate_limited', 'The provider blocked the request, often for quota; try again later or use another model.'],
      [vscode.LanguageModelError.NotFound.name]: ['not_found', 'Pick another model with "Keel: Configure Models…".'],
    };
    const [kind, hint] = kinds[error.code] ?? [fallbackKind, ''];
    return new ResponseError(MODEL_ERROR_CODE, `${name} refused the request: ${error.message}. ${hint}`.trim(), { kind });
  }
  return new ResponseError(MODEL_ERROR_CODE, `${name} failed: ${error instanceof Error ? error.message : String(error)}`, { kind: fallbackKind });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
