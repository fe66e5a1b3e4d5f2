import * as vscode from 'vscode';
import type { ModelSettings, RunLimits } from '../protocol/run';

export const OPENAI_KEY_SECRET = 'keel.openai.apiKey';

/** The model a run should use, from settings and SecretStorage. `auto` prefers OpenAI once a key is stored. */
export async function modelSettings(secrets: vscode.SecretStorage): Promise<ModelSettings> {
  const config = vscode.workspace.getConfiguration('keel');
  const apiKey = await secrets.get(OPENAI_KEY_SECRET);
  const chosen = config.get<string>('model.provider', 'auto');
  const provider = chosen === 'openai' || (chosen === 'auto' && apiKey) ? 'openai' : 'ollama';
  const timeoutMs = config.get<number>('model.timeoutSeconds', 120) * 1000;
  if (provider === 'openai') {
    return { provider, baseUrl: config.get('openai.baseUrl', 'https://api.openai.com/v1'), model: config.get('openai.model', 'gpt-4o-mini'), apiKey, timeoutMs };
  }
  return { provider, baseUrl: config.get('ollama.baseUrl', 'http://127.0.0.1:11434'), model: config.get('ollama.model', 'qwen2.5-coder:7b'), timeoutMs };
}

export function runLimits(): RunLimits {
  const config = vscode.workspace.getConfiguration('keel');
  return {
    maxSteps: config.get<number>('agent.maxSteps', 12),
    approvalTimeoutMs: config.get<number>('approval.timeoutSeconds', 600) * 1000,
    maxTools: config.get<number>('tools.maxOffered', 40),
  };
}
