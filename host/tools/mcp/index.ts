/** The MCP client's public surface. */
export { parseMcpConfig, type McpServerConfig, type ParsedMcpConfig } from '../../../protocol/mcpConfig';
export { McpManager, type McpServerStatus } from './manager';
export { PinStore } from './pins';
export type { McpClientHandlers } from './connection';
export { mcpUserHandlers } from './userHandlers';
