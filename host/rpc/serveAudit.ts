import { join } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { AuditVerifyRequest } from '../../protocol/rpc';
import { verifyAuditLog } from '../governance/auditLog';
import { onValidatedRequest } from '../validatedHandlers';

/** "Keel: Verify Audit Log": the chain of the audit log under the host's storage folder. */
export function serveAudit(connection: Connection, storageDir: string): void {
  onValidatedRequest(connection, AuditVerifyRequest, () => verifyAuditLog(join(storageDir, 'audit')));
}
