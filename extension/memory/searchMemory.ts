import * as vscode from 'vscode';
import type { MemoryHit } from '../../protocol/rpc';

/** Long enough that a search runs once the user pauses, not on every keystroke. */
const DEBOUNCE_MS = 250;

type Item = vscode.QuickPickItem & { readonly hit?: MemoryHit };

/**
 * "Keel: Search Memory…": a QuickPick that searches the workspace index as the user types and opens the picked
 * chunk. Resolves once the picker closes.
 */
export function showMemorySearch(folder: vscode.Uri, search: (query: string) => Promise<MemoryHit[]>, initialQuery = ''): Promise<void> {
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = vscode.l10n.t('Keel: Search Memory');
  pick.placeholder = vscode.l10n.t('Words or identifiers, e.g. "retry backoff"; narrow with path:src/** or lang:python');
  pick.value = initialQuery;
  let timer: NodeJS.Timeout | undefined;
  let latest = 0;

  const run = (query: string) => {
    clearTimeout(timer);
    const generation = ++latest;
    if (!query.trim()) {
      pick.items = [];
      pick.busy = false;
      return;
    }
    pick.busy = true;
    timer = setTimeout(async () => {
      let items: Item[];
      try {
        const hits = await search(query);
        items = hits.length ? hits.map(toItem) : [{ label: vscode.l10n.t('$(info) No indexed code matches. Try other words or identifiers.'), alwaysShow: true }];
      } catch (error) {
        items = [{ label: `$(warning) ${error instanceof Error ? error.message : String(error)}`, alwaysShow: true }];
      }
      // An answer to an older query must not replace the results of the newer one.
      if (generation !== latest) return;
      pick.items = items;
      pick.busy = false;
    }, DEBOUNCE_MS);
  };

  pick.onDidChangeValue(run);
  pick.onDidAccept(async () => {
    const hit = pick.selectedItems[0]?.hit;
    if (!hit) return;
    pick.hide();
    await openHit(folder, hit);
  });
  const closed = new Promise<void>((resolve) =>
    pick.onDidHide(() => {
      clearTimeout(timer);
      pick.dispose();
      resolve();
    }),
  );
  pick.show();
  run(pick.value);
  return closed;
}

function toItem(hit: MemoryHit): Item {
  return {
    label: `${hit.symbol ? '$(symbol-method)' : '$(file)'} ${hit.symbol ?? hit.path.split('/').pop()}`,
    description: `${hit.path}:${hit.startLine}`,
    detail: hit.snippet.replace(/\s+/g, ' '),
    // Results are already ranked by the index; VS Code's own filter would hide those whose label lacks the query.
    alwaysShow: true,
    hit,
  };
}

async function openHit(folder: vscode.Uri, hit: MemoryHit): Promise<void> {
  const start = new vscode.Position(hit.startLine - 1, 0);
  const editor = await vscode.window.showTextDocument(vscode.Uri.joinPath(folder, hit.path), { selection: new vscode.Range(start, start) });
  editor.revealRange(new vscode.Range(start, new vscode.Position(hit.endLine - 1, 0)), vscode.TextEditorRevealType.AtTop);
}
