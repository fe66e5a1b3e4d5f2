import type { Connection } from 'vscode-languageserver/node';
import { AuditVerifyRequest } from '../../protocol/rpc';
import type { AgentHost } from '../agentHost';
import { onValidatedRequest } from '../validatedHandlers';

/** "Keel: Verify Audit Log": the chain of the host's audit log. */
export function serveAudit(connection: Connection, host: AgentHost): void {
  onValidatedRequest(connection, AuditVerifyRequest, () => host.audit.verify());
}
