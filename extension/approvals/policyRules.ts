import * as vscode from 'vscode';
import { AddAllowRulesRequest, type AllowRule, type AllowScope } from '../../protocol/rpc';
import type { AgentHost } from '../host/agentHost';

/** Where "Always allow" rules can be written from this window, and the writing. */
export interface PolicyWriter {
  /** `run` always; `workspace` with a trusted folder open (an untrusted workspace's allow rules are ignored); `user`. */
  places(): AllowScope[];
  /** Writes the rules; answers what was added where, or throws with why nothing was. */
  write(scope: Exclude<AllowScope, 'run'>, rules: readonly AllowRule[], agent: string | undefined): Promise<string>;
}

/**
 * The host edits `.keel/policy.jsonc` (comments kept) and works out the `keel.policy` value; the user setting is
 * saved here, in user settings, where VS Code keeps the file's comments. Both refuse a rule a deny or ask would catch.
 */
export function policyWriter(host: AgentHost): PolicyWriter {
  return {
    places: () => [
      'run',
      ...(vscode.workspace.workspaceFolders?.length && vscode.workspace.isTrusted ? (['workspace'] as const) : []),
      'user',
    ],
    async write(scope, rules, agent) {
      // The host writes the file on disk: unsaved edits in an editor would then conflict with it.
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const open = folder && vscode.workspace.textDocuments.find((d) => d.uri.toString() === vscode.Uri.joinPath(folder, '.keel', 'policy.jsonc').toString());
      if (scope === 'workspace' && open?.isDirty) throw new Error(vscode.l10n.t('.keel/policy.jsonc has unsaved changes in the editor; save or revert them, then choose Always allow again.'));
      const client = await host.ensureStarted();
      const settings = vscode.workspace.getConfiguration('keel');
      const userPolicy = settings.inspect<Record<string, unknown>>('policy')?.globalValue;
      const result = await client.sendRequest(AddAllowRulesRequest.type, {
        target: scope,
        rules: [...rules],
        ...(agent ? { agent } : {}),
        ...(userPolicy && typeof userPolicy === 'object' ? { userPolicy } : {}),
      });
      if (scope === 'user') await settings.update('policy', result.userPolicy, vscode.ConfigurationTarget.Global);
      return result.summary;
    },
  };
}
