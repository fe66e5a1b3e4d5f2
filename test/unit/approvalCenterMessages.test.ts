import assert from 'node:assert/strict';
import { MAX_ANSWER_CHARS, parseFromApprovalCenter } from '../../protocol/approvalCenter';

describe('approval center: what the panel may send', () => {
  it('passes an Always allow answer with the place chosen', () => {
    for (const place of ['run', 'workspace', 'user'] as const) {
      assert.deepEqual(parseFromApprovalCenter({ type: 'approve', approvalId: 'a1', alwaysAllow: place }), { type: 'approve', approvalId: 'a1', alwaysAllow: place });
    }
    assert.deepEqual(parseFromApprovalCenter({ type: 'approve', approvalId: 'a1' }), { type: 'approve', approvalId: 'a1' });
  });

  it('refuses a place it does not know, a wrong type, an oversized answer and other garbage', () => {
    const refused: unknown[] = [
      { type: 'approve', approvalId: 'a1', alwaysAllow: 'managed' },
      { type: 'approve', approvalId: 'a1', alwaysAllow: ['workspace'] },
      { type: 'approve', approvalId: 'a1', alwaysAllow: { toString: () => 'run' } },
      { type: 'approve', approvalId: '', alwaysAllow: 'run' },
      { type: 'approve', approvalId: 'x'.repeat(201) },
      { type: 'approve', approvalId: 'a1', arguments: 'x'.repeat(MAX_ANSWER_CHARS + 1) },
      { type: 'deny', approvalId: 7 },
      { type: 'write-policy', path: '/etc/keel/policy.jsonc' },
      null,
      'approve',
      [],
    ];
    for (const message of refused) assert.equal(parseFromApprovalCenter(message), undefined, JSON.stringify(message)?.slice(0, 80));
  });
});
