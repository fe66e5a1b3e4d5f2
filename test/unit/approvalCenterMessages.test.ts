import assert from 'node:assert/strict';
import { MAX_ANSWER_CHARS, parseFromApprovalCenter, shownAsWritten, type PendingQuestion } from '../../protocol/approvalCenter';

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

describe('approval center: what the panel shows', () => {
  const question: PendingQuestion = {
    approvalId: 'a1', kind: 'tool', runId: 'r1', goal: 'tidy up\u202e', why: 'Commands ask first.', canAlwaysAllow: true, canEditArguments: true, askedAt: 0,
    title: 'Run `ls\u202e ;exe.elif` in the workspace?',
    detail: JSON.stringify({ command: 'ls \u202e;rm -rf ~ #\r\x1b[2K' }, null, 2),
    command: { line: 'ls \u202e;rm -rf ~', parts: [{ source: 'rm -rf ~\u2066', verdict: 'ask' }], unchecked: [], sandboxed: false, confinement: 'Commands are not sandboxed.' },
  };

  it('shows the bidirectional overrides and controls a model wrote as escapes, in every text it wrote', () => {
    const shown = shownAsWritten(question);
    const texts = [shown.title, shown.goal!, shown.detail!, shown.command!.line, shown.command!.parts[0]!.source];
    // eslint-disable-next-line no-control-regex -- none may reach the card
    for (const text of texts) assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069]/, text);
    assert.equal(shown.command!.line, 'ls \\u202e;rm -rf ~');
    assert.equal(shown.why, question.why);
  });

  it('keeps the arguments JSON that parses back to what the model sent, so a correction starts from the real call', () => {
    assert.deepEqual(JSON.parse(shownAsWritten(question).detail!), JSON.parse(question.detail!));
  });
});
