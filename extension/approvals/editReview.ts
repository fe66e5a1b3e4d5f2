import * as vscode from 'vscode';
import type { ReviewEditParams } from '../../protocol/rpc';
import { editDiffLines, type EditDecision } from '../../protocol/run';
import { workspaceFileUri } from '../workspace/workspaceFiles';
import { showWarning } from '../errors';

interface PendingEdit {
  readonly params: ReviewEditParams;
  readonly uri: vscode.Uri;
  range: vscode.Range;
  readonly resolve: (decision: EditDecision) => void;
}

/** The scheme of the proposed side of an edit's diff; its query is the approval id. The diff's title bar offers Approve and Deny for it. */
export const PROPOSED_SCHEME = 'keel-proposed';

/**
 * Shows each edit the agent proposes inline, where it changes the file: the replaced text is marked, the new
 * text is previewed after it, and CodeLenses offer Approve, Deny and a full diff. Approve applies a
 * WorkspaceEdit, so undo works; the file is saved only if it had no unsaved changes of the user's.
 */
export class EditReviewController implements vscode.CodeLensProvider, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly pending = new Map<string, PendingEdit>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  readonly onDidChangePending = this.changed.event;
  private readonly approved = new vscode.EventEmitter<string>();
  /** An edit was approved and applied; fires with its path (the walkthrough's "approve an edit" step). */
  readonly onDidApprove = this.approved.event;
  private readonly removed = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('diffEditor.removedTextBackground'),
    textDecoration: 'line-through',
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly added = vscode.window.createTextEditorDecorationType({});
  private readonly disposables: vscode.Disposable[] = [this.changed, this.approved, this.removed, this.added];

  constructor() {
    this.disposables.push(
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
      vscode.workspace.onDidChangeTextDocument((event) => this.track(event.document)),
    );
  }

  /** Pending approvals, oldest first. */
  list(): readonly ReviewEditParams[] {
    return [...this.pending.values()].map((p) => p.params);
  }

  /** Shows the edit and resolves when the user decides or the host withdraws the request. */
  async review(params: ReviewEditParams, token: vscode.CancellationToken): Promise<EditDecision> {
    const uri = await workspaceFileUri(params.edit.path);
    const document = await vscode.workspace.openTextDocument(uri);
    const { start, end } = params.edit.range;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    if (document.getText(range) !== params.edit.oldText) {
      throw new Error(`${params.edit.path} changed since the agent read it; the edit was not shown.`);
    }
    const decision = new Promise<EditDecision>((resolve) => {
      this.pending.set(params.approvalId, { params, uri, range, resolve });
    });
    token.onCancellationRequested(() => this.settle(params.approvalId, { decision: 'denied', reason: 'withdrawn by the agent host' }));
    this.refresh();
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    // Asked again now the editor is visible: an editor brought back from a background tab keeps the lenses it had
    // cached, and a change announced while it was hidden never reaches it.
    this.refresh();
    return decision;
  }

  async approve(approvalId = this.firstPendingInActiveEditor()): Promise<void> {
    const pending = approvalId ? this.pending.get(approvalId) : undefined;
    if (!pending) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no proposed edit is waiting here.'));
    const document = await vscode.workspace.openTextDocument(pending.uri);
    if (document.getText(pending.range) !== pending.params.edit.oldText) {
      this.settle(approvalId!, { decision: 'denied', reason: 'the text it replaces was changed in the editor before approval' });
      return void vscode.window.showWarningMessage(vscode.l10n.t('Keel: {0} changed under the proposed edit, so it was not applied. The agent was told.', pending.params.edit.path));
    }
    const wasDirty = document.isDirty;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(pending.uri, pending.range, pending.params.edit.newText);
    if (!(await vscode.workspace.applyEdit(edit))) {
      this.settle(approvalId!, { decision: 'denied', reason: 'VS Code could not apply the edit' });
      return void showWarning(vscode.l10n.t('VS Code could not apply the edit to {0}, so it was denied and the agent was told. Check that the file is not read-only, then run the task again.', pending.params.edit.path));
    }
    // Saving a buffer the user had unsaved work in would save their work too; leave that to them.
    if (!wasDirty) await document.save();
    this.settle(approvalId!, { decision: 'approved' });
    this.approved.fire(pending.params.edit.path);
  }

  deny(approvalId = this.firstPendingInActiveEditor(), reason = 'the user denied it'): void {
    if (!approvalId || !this.pending.has(approvalId)) return void vscode.window.showInformationMessage(vscode.l10n.t('Keel: no proposed edit is waiting here.'));
    this.settle(approvalId, { decision: 'denied', reason });
  }

  /** Shows a pending edit's file at the change. */
  async reveal(approvalId: string): Promise<void> {
    const pending = this.pending.get(approvalId);
    if (!pending) return;
    const editor = await vscode.window.showTextDocument(pending.uri, { preview: false });
    editor.revealRange(pending.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** The pending edit a diff shows, from the proposed side's URI (the diff's title bar passes it) or the active tab. */
  inDiff(uri?: vscode.Uri): string | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const proposed = uri?.scheme === PROPOSED_SCHEME ? uri : input instanceof vscode.TabInputTextDiff ? input.modified : undefined;
    return proposed?.scheme === PROPOSED_SCHEME && this.pending.has(proposed.query) ? proposed.query : undefined;
  }

  async showDiff(approvalId: string): Promise<void> {
    const pending = this.pending.get(approvalId);
    if (!pending) return;
    const proposed = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: pending.uri.path, query: approvalId });
    await vscode.commands.executeCommand('vscode.diff', pending.uri, proposed, `${pending.params.edit.path} ↔ proposed by Keel`);
  }

  /** Withdraws every pending edit, e.g. when the host that asked is gone. */
  denyAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { decision: 'denied', reason });
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return this.inDocument(document.uri).flatMap(({ params, range }) => {
      const at = new vscode.Range(range.start.line, 0, range.start.line, 0);
      return [
        new vscode.CodeLens(at, { title: vscode.l10n.t('$(check) Approve edit'), tooltip: vscode.l10n.t('Apply the edit Keel proposes'), command: 'keel.approveEdit', arguments: [params.approvalId] }),
        new vscode.CodeLens(at, { title: vscode.l10n.t('$(close) Deny'), tooltip: vscode.l10n.t('Reject the edit; the agent is told'), command: 'keel.denyEdit', arguments: [params.approvalId] }),
        new vscode.CodeLens(at, { title: vscode.l10n.t('$(diff) Show diff'), command: 'keel.showEditDiff', arguments: [params.approvalId] }),
      ];
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const pending = this.pending.get(uri.query);
    if (!pending) return '';
    const document = await vscode.workspace.openTextDocument(pending.uri);
    const text = document.getText();
    return text.slice(0, document.offsetAt(pending.range.start)) + pending.params.edit.newText + text.slice(document.offsetAt(pending.range.end));
  }

  dispose(): void {
    this.denyAll('VS Code is closing');
    for (const d of this.disposables) d.dispose();
  }

  private settle(approvalId: string, decision: EditDecision): void {
    const pending = this.pending.get(approvalId);
    if (!pending) return;
    this.pending.delete(approvalId);
    pending.resolve(decision);
    this.refresh();
    void this.closeDiffs(approvalId);
  }

  /** An answered edit's diff tabs go with its lenses and its card. */
  private async closeDiffs(approvalId: string): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === PROPOSED_SCHEME && tab.input.modified.query === approvalId);
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs, true);
  }

  private inDocument(uri: vscode.Uri): PendingEdit[] {
    return [...this.pending.values()].filter((p) => p.uri.toString() === uri.toString());
  }

  private firstPendingInActiveEditor(): string | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return (uri && this.inDocument(uri)[0]?.params.approvalId) ?? this.pending.keys().next().value;
  }

  /** Keeps a pending edit anchored to its text while the user edits around it. */
  private track(document: vscode.TextDocument): void {
    const mine = this.inDocument(document.uri);
    if (mine.length === 0) return;
    const text = document.getText();
    for (const pending of mine) {
      if (document.getText(pending.range) === pending.params.edit.oldText) continue;
      const at = text.indexOf(pending.params.edit.oldText);
      if (at >= 0 && text.indexOf(pending.params.edit.oldText, at + 1) < 0) {
        pending.range = new vscode.Range(document.positionAt(at), document.positionAt(at + pending.params.edit.oldText.length));
      }
    }
    this.refresh();
  }

  private refresh(): void {
    void vscode.commands.executeCommand('setContext', 'keel.hasPendingEdit', this.pending.size > 0);
    this.changed.fire();
    this.decorate();
  }

  private decorate(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = this.inDocument(editor.document.uri);
      editor.setDecorations(this.removed, mine.map((p) => ({ range: p.range, hoverMessage: diffHover(p.params) })));
      editor.setDecorations(this.added, mine.map((p) => ({ range: new vscode.Range(p.range.end, p.range.end), renderOptions: { after: previewAfter(p.params.edit.newText) } })));
    }
  }
}

function previewAfter(newText: string): vscode.ThemableDecorationAttachmentRenderOptions {
  const lines = newText.split('\n');
  const more = lines.length === 2 ? `  ${vscode.l10n.t('(+1 more line: Show diff)')}` : lines.length > 2 ? `  ${vscode.l10n.t('(+{0} more lines: Show diff)', lines.length - 1)}` : '';
  return {
    contentText: ` ⟶ ${lines[0]}${more}`,
    color: new vscode.ThemeColor('gitDecoration.addedResourceForeground'),
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
    margin: '0 0 0 0.5em',
  };
}

/** The model wrote the edit: it is shown as plain text and a code block (fenced by VS Code), never as Markdown. */
function diffHover(params: ReviewEditParams): vscode.MarkdownString {
  return new vscode.MarkdownString()
    .appendText(vscode.l10n.t('Keel proposes (run {0}):', params.runId.slice(0, 8)))
    .appendCodeblock(editDiffLines(params.edit), 'diff');
}
