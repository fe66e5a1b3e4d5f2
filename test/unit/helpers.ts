import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SpanData } from '../../protocol/trace';
import type { ConsentPort } from '../../host/governance/consent';
import { HeadlessConsent, type Approver } from '../../host/governance/headlessConsent';
import { FsWorkspace } from '../../host/workspace/fsWorkspace';
import { startTrace, type Span } from '../../host/observability/tracer';

/** A span sink that keeps the latest snapshot of every span, and the root span to record under. */
export function recordingTrace(): { spans: Map<string, SpanData>; root: Span } {
  const spans = new Map<string, SpanData>();
  const root = startTrace((span) => spans.set(span.spanId, span), 'test', 'test');
  return { spans, root };
}

export function tempDir(prefix = 'keel-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `text` at `path` under `root`, creating the folders on the way. */
export async function putFile(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to fail');
}

/** A consent port that answers as told and refuses everything else, for tests that need only some questions. */
export function consent(answers: Partial<ConsentPort>): ConsentPort {
  return {
    reviewEdit: async () => ({ decision: 'denied', reason: 'not asked in this test' }),
    reviewToolCall: async () => ({ decision: 'denied', reason: 'not asked in this test' }),
    approveBudget: async () => false,
    confirmRepeat: async () => 'stop',
    elicit: async () => ({ action: 'decline' }),
    askUser: async () => ({ action: 'decline' }),
    ...answers,
  };
}

/** A workspace on disk whose questions `approver` answers, as the CLI puts the two ports together. */
export function headlessWorkspace(root: string, approver: Approver): FsWorkspace & ConsentPort {
  const answers = new HeadlessConsent(root, approver);
  return Object.assign(new FsWorkspace(root), {
    reviewEdit: answers.reviewEdit.bind(answers),
    reviewToolCall: answers.reviewToolCall.bind(answers),
    approveBudget: answers.approveBudget.bind(answers),
    elicit: answers.elicit.bind(answers),
    confirmRepeat: answers.confirmRepeat.bind(answers),
    askUser: answers.askUser.bind(answers),
  });
}
