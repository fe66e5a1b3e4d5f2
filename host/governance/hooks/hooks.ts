import { minimatch } from 'minimatch';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { redacted } from '../../observability/redaction';
import { errorMessage, type Span } from '../../observability/tracer';
import { workspaceCapabilities, type Sandbox, type SandboxCapabilities } from '../../sandbox';
import { contentHash, type AuditSink } from '../auditLog';
import { CALL_HOOK, DEFINE_HOOK, HOOK_MEMORY_BYTES, HOOKS_DIR, hookAnswerSchema, hookManifestSchema, readManifest, type HookAnswer, type HookEvent, type HookManifest } from './hookFile';

/** What each event tells a hook (as its `event` argument, with `event` and `runId` added). */
export interface HookPayloads {
  beforeToolCall: { tool: string; source: string; risk: string; arguments: unknown };
  afterToolCall: { tool: string; source: string; arguments: unknown; ok: boolean; result: string };
  beforeEdit: { path: string; startLine: number; endLine: number; newText: string };
  runStart: { goal: string; agent: string };
  runEnd: { outcome: string; answer: string };
}

/** What the hooks asked about one event decided together: deny wins, then ask, then allow. */
export interface HookVerdict {
  readonly decision: 'allow' | 'deny' | 'ask';
  /** Why, naming the hook; shown to the model and the user. */
  readonly reason?: string;
  /** beforeToolCall: the arguments as the hooks rewrote them. */
  readonly arguments?: Record<string, unknown>;
}

export interface HookAt {
  readonly runId: string;
  readonly parent: Span;
  readonly signal: AbortSignal;
  /** Where each decision is recorded before it takes effect. */
  readonly audit?: AuditSink;
}

/** The hooks of one run, loaded when it starts: the gate tools, edits and the run itself pass. */
export interface HookGate {
  ask<E extends HookEvent>(event: E, payload: HookPayloads[E], at: HookAt): Promise<HookVerdict>;
}

const ALLOW: HookVerdict = { decision: 'allow' };
/** The most of a tool result an afterToolCall hook is given. */
const MAX_RESULT_CHARS = 64 * 1024;
/** Events whose answer gates something; a hook file that does not load denies these. */
const GATING: ReadonlySet<HookEvent> = new Set(['beforeToolCall', 'beforeEdit', 'runStart']);

interface LoadedHook {
  readonly file: string;
  readonly source: string;
  readonly manifest: HookManifest;
}

/**
 * `.keel/hooks/*.js`: workspace code that allows, denies, asks about or rewrites what an agent does. Hooks only ever run
 * in the QuickJS sandbox with the limits and the read capabilities they declare; a hook can tighten what the approval
 * policy lets through, never loosen it (its `allow` means "no objection"). A hook that throws, times out, runs out of
 * memory or answers nonsense denies unless it declares `onError: 'allow'`; a file that does not load denies every gated
 * event, so a broken guard never silently stops guarding. Every decision is an `approval`-like `hook` span and an audit
 * record.
 */
export class Hooks {
  private readonly cache = new Map<string, { mtimeMs: number; hook?: LoadedHook; problem?: string }>();

  constructor(
    private readonly getSandbox: () => Sandbox,
    private readonly log: (message: string) => void = () => undefined,
    /** Where a hook file's first load and each change of it are recorded. */
    private readonly audit?: AuditSink,
  ) {}

  /** The workspace's hooks as they are now; a file changed later counts from the next run. */
  async load(root: string | undefined): Promise<HookGate & { readonly problems: readonly string[] }> {
    const hooks: LoadedHook[] = [];
    const problems: string[] = [];
    if (root) {
      const dir = join(root, HOOKS_DIR);
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.js')).sort();
      for (const name of files) {
        const file = `${HOOKS_DIR}/${name}`;
        const entry = await this.loadFile(join(dir, name), file);
        if (entry.hook) hooks.push(entry.hook);
        if (entry.problem) problems.push(entry.problem);
      }
    }
    return { problems, ask: (event, payload, at) => this.ask(root ?? '', hooks, problems, event, payload, at) };
  }

  private async loadFile(path: string, file: string): Promise<{ hook?: LoadedHook; problem?: string }> {
    try {
      const { mtimeMs, size } = await stat(path);
      const cached = this.cache.get(path);
      if (cached?.mtimeMs === mtimeMs) return cached;
      const source = size > 256 * 1024 ? undefined : await readFile(path, 'utf8');
      const entry = { mtimeMs, ...(source === undefined ? { problem: l10n.t('{0} is larger than {1} KiB', file, 256) } : await this.define(file, source)) };
      this.cache.set(path, entry);
      await this.audit?.append({ kind: 'hook_change', file, sha256: source === undefined ? null : contentHash(source) });
      this.log(entry.problem ? `hook not loaded: ${entry.problem}` : `hook ${entry.hook!.manifest.name} loaded from ${file}`);
      return entry;
    } catch (error) {
      return { problem: `${file}: ${errorMessage(error)}` };
    }
  }

  private async define(file: string, source: string): Promise<{ hook?: LoadedHook; problem?: string }> {
    const result = await this.getSandbox().execute({ code: DEFINE_HOOK + source + readManifest(), limits: { memoryBytes: HOOK_MEMORY_BYTES, timeoutMs: 2000 } });
    if (result.outcome !== 'ok') return { problem: `${file}: ${result.error}` };
    const manifest = hookManifestSchema.safeParse(result.value);
    if (!manifest.success) return { problem: `${file}: ${z.prettifyError(manifest.error)}` };
    return { hook: { file, source, manifest: manifest.data } };
  }

  private async ask<E extends HookEvent>(root: string, hooks: readonly LoadedHook[], problems: readonly string[], event: E, payload: HookPayloads[E], at: HookAt): Promise<HookVerdict> {
    if (problems.length > 0 && GATING.has(event)) {
      const reason = l10n.t('a hook file does not load, so nothing it guards may run: {0}. Fix or remove it in {1}.', problems.join('; '), HOOKS_DIR);
      await this.record(at, { name: 'broken-hook-file', file: HOOKS_DIR }, event, subjectOf(payload), { decision: 'deny', reason });
      return { decision: 'deny', reason: redacted(reason) };
    }
    const tool = 'tool' in payload ? payload.tool : undefined;
    let input = (event === 'afterToolCall' ? { ...payload, result: cut((payload as HookPayloads['afterToolCall']).result) } : payload) as Record<string, unknown>;
    let asked: string | undefined;
    let rewritten: Record<string, unknown> | undefined;
    for (const hook of hooks) {
      if (!hook.manifest.events.includes(event)) continue;
      if (tool !== undefined && hook.manifest.tools && !hook.manifest.tools.some((glob) => minimatch(tool, glob))) continue;
      const verdict = await this.run(root, hook, { ...input, event, runId: at.runId }, at);
      await this.record(at, { name: hook.manifest.name, file: hook.file }, event, subjectOf(payload), verdict);
      if (verdict.decision === 'deny') return { decision: 'deny', reason: redacted(l10n.t('hook {0} ({1}) denied this: {2}', hook.manifest.name, hook.file, verdict.reason ?? l10n.t('no reason given'))) };
      if (verdict.decision === 'ask') asked ??= redacted(l10n.t('hook {0} ({1}) asks: {2}', hook.manifest.name, hook.file, verdict.reason ?? l10n.t('no reason given')));
      if (verdict.arguments && event === 'beforeToolCall') {
        rewritten = verdict.arguments;
        input = { ...input, arguments: rewritten };
      }
    }
    if (!asked && !rewritten) return ALLOW;
    return { decision: asked ? 'ask' : 'allow', ...(asked ? { reason: asked } : {}), ...(rewritten ? { arguments: rewritten } : {}) };
  }

  /** One hook's answer; a failure is the hook's declared `onError`, with what went wrong as the reason. */
  private async run(root: string, hook: LoadedHook, input: Record<string, unknown>, at: HookAt): Promise<HookAnswer> {
    const { manifest } = hook;
    const failed = (why: string): HookAnswer => ({
      decision: manifest.onError,
      reason: manifest.onError === 'deny' ? l10n.t('the hook failed ({0}), and fails closed', why) : l10n.t('the hook failed ({0}), and fails open', why),
    });
    const capabilities: SandboxCapabilities = {};
    if (manifest.capabilities.length > 0 && root) {
      const workspace = workspaceCapabilities(root);
      if (manifest.capabilities.includes('readFile')) capabilities.readFile = workspace.readFile;
      if (manifest.capabilities.includes('listFiles')) capabilities.listFiles = workspace.listFiles;
    }
    try {
      const result = await this.getSandbox().execute(
        { code: DEFINE_HOOK + hook.source + CALL_HOOK, input, capabilities, limits: { timeoutMs: manifest.timeoutMs, memoryBytes: HOOK_MEMORY_BYTES } },
        at.signal,
      );
      if (result.outcome !== 'ok') return failed(`${result.outcome}: ${result.error ?? l10n.t('no message')}`);
      const answer = hookAnswerSchema.safeParse(result.value);
      if (!answer.success) return failed(l10n.t('it answered {0}; answer {1}', z.prettifyError(answer.error), "{ decision: 'allow' | 'deny' | 'ask', reason?, arguments? }"));
      return answer.data ?? { decision: 'allow' };
    } catch (error) {
      if (at.signal.aborted) throw error;
      return failed(errorMessage(error));
    }
  }

  private async record(at: HookAt, hook: { name: string; file: string }, event: HookEvent, subject: string, answer: HookAnswer): Promise<void> {
    const span = at.parent.child(`hook ${hook.name}`, 'hook', {
      'keel.hook.name': hook.name,
      'keel.hook.file': hook.file,
      'keel.hook.event': event,
      'keel.hook.subject': subject,
      'keel.hook.decision': answer.decision,
      ...(answer.reason ? { 'keel.hook.reason': answer.reason } : {}),
      ...(answer.arguments ? { 'keel.hook.rewrote_arguments': true } : {}),
    });
    span.end(answer.decision === 'deny' ? 'error' : 'ok', answer.decision === 'deny' ? answer.reason : undefined);
    await at.audit?.append({ kind: 'hook', runId: at.runId, hook: hook.name, event, subject, decision: answer.decision, ...(answer.reason ? { reason: answer.reason } : {}) });
  }
}

function subjectOf(payload: HookPayloads[HookEvent]): string {
  if ('tool' in payload) return payload.tool;
  if ('path' in payload) return payload.path;
  return 'run';
}

function cut(text: string): string {
  return text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}\n[${text.length - MAX_RESULT_CHARS} more characters cut]`;
}
