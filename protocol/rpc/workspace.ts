/** The workspace as the editor holds it, which the host reaches through the extension (`workspace/…`). */
import { RequestType } from 'vscode-jsonrpc';

export namespace ReadFileRequest {
  /** Host → extension: the text of a workspace file, as the editor has it (unsaved changes included). */
  export const type = new RequestType<{ path: string }, { text: string }, void>('workspace/readFile');
}

export namespace CreateFileRequest {
  /** Host → extension: create a new workspace file (approved already), undoably. */
  export const type = new RequestType<{ path: string; content: string }, void, void>('workspace/createFile');
}
