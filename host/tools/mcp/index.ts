/** The MCP client's public surface. */
export { parseMcpConfig, type McpServerConfig, type ParsedMcpConfig } from '../../../protocol/mcpConfig';
export { McpManager, type McpServerStatus } from './manager';
export { PinStore } from './pins';
export type { McpClientHandlers } from './connection';
export { mcpUserHandlers } from './userHandlers';
export { MemoryCredentialStore, type McpCredentialStore } from './auth/credentialStore';
export { FileCredentialStore } from './auth/fileCredentialStore';
export type { AuthorizationOpener, SignInReason } from './auth/keelOAuthProvider';
export type { McpAuthPorts } from './auth/serverAuth';
export { SignInRequired } from './auth/authErrors';
