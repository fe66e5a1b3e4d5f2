/**
 * Every request and notification between the extension and the agent host, typed once, one file per area under
 * `rpc/`; import them from here. Methods are prefixed by area. Both sides import these objects; neither spells a
 * method string. Each message the host handles carries its `params` schema, from which its params type is inferred;
 * the host checks every such message against it (`host/validatedHandlers.ts`).
 */
export * from './rpc/host';
export * from './rpc/runs';
export * from './rpc/traces';
export * from './rpc/workspace';
export * from './rpc/approvals';
export * from './rpc/mcp';
export * from './rpc/tools';
export * from './rpc/sandbox';
export * from './rpc/memory';
export * from './rpc/models';
export * from './rpc/audit';
export * from './rpc/metrics';
export * from './rpc/alerts';
export * from './rpc/agents';
