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

export namespace WriteFileRequest {
  /** Host → extension: replace an existing workspace file's text (undoing a run, which the user asked for), undoably. */
  export const type = new RequestType<{ path: string; content: string }, void, void>('workspace/writeFile');
}

export namespace DeleteFileRequest {
  /** Host → extension: delete a workspace file (undoing a run that created it, which the user asked for), undoably. */
  export const type = new RequestType<{ path: string }, void, void>('workspace/deleteFile');
}
