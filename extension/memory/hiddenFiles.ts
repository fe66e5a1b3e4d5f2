import * as vscode from 'vscode';

/**
 * The globs `files.exclude` turns on, which the workspace index leaves out too. `{ when: … }` entries depend on
 * sibling files, which the host cannot ask VS Code about; their files stay in.
 */
export function hiddenFileGlobs(): string[] {
  const exclude = vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude', {});
  return Object.entries(exclude).filter(([, on]) => on === true).map(([glob]) => glob);
}
