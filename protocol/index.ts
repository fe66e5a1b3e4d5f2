/** The protocol shared by the extension, the host and the webview. The webview imports `webview` and `trace` only. */
export * from './version';
export * from './trace';
export * from './run';
export * from './models';
export * from './rpc';
export * from './webview';
