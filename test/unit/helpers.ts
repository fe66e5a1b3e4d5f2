import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanData } from '../../protocol/trace';
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

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to fail');
}
