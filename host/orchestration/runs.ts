import * as l10n from '@vscode/l10n';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ModelConfig } from '../../protocol/models';
import type { RunListEntry, RunMessage, RunState, StartRunParams, UnfinishedRun } from '../../protocol/rpc';
import type { RunResult } from '../../protocol/run';
import type { ModelRouter, RouterCache } from '../models';
import { withLogContext, type LogLevel } from '../observability/log';
import { redacted } from '../observability/redaction';
import { errorMessage, Span, type SpanSink } from '../observability/tracer';
import type { ToolRegistry } from '../tools';
import type { AuditSink } from '../governance/auditLog';
import type { ConsentPort } from '../governance/consent';
import type { RunPolicy } from '../governance/policy/runPolicy';
import type { WorkspacePort } from '../workspace/port';
import type { Episode } from '../memory';
import type { ChatMessage } from '../models';
import { AGENT_NAME, runAgent } from './agentLoop';
import type { AgentRunOutput, RunSession } from './agentRun';
import type { AgentCatalog } from './agents/agentDefinitions';
import { RunGrants } from '../governance/policy/allowRules';
import { Team } from './subagents';
import { runWithFallback } from './recovery/fallback';
import type { WorkflowStart } from './durable/journalRecords';
import type { RunJournal } from './durable/runJournal';
import { endOf, fileChangesOf, transcriptOf } from './durable/runRecords';
import type { LoadedRun, RunStore, RunSummary } from './durable/runStore';
import { undoChanges, type UndoResult } from './durable/undo';
import type { RunMemory } from './runContext';
import { WORKFLOW_AGENT, type WorkflowRunner } from './workflows/workflowRunner';

/** Memory as runs use it: recalled at the start, and each finished run kept as an episode. */
export interface EpisodicMemory extends RunMemory {
  remember(episode: Episode): Promise<void>;
}

/** A run as requested, and the policy in force for it (absent: none is written anywhere, Keel's defaults apply). */
export type RunRequest = StartRunParams & {
  readonly rules?: RunPolicy;
  /** The policy's rules for a subagent of the run, by its name (its `agents.<name>` section). */
  readonly rulesFor?: (agent: string) => RunPolicy | undefined;
};

/** The abort reason when the host stops: the run is left unfinished in its journal, to be resumed, not cancelled. */
const HOST_STOPPING = 'the agent host is stopping';

/** How often runs another window's host held are looked at again. */
const RELEASE_CHECK_MS = 2_000;

/** The longest follow-up or steering message, as the protocol allows: details belong in files the agent can read. */
const MAX_MESSAGE_CHARS = 20_000;

/** A run working in this host: how to stop it, what the Runs list shows, and where the user's messages go. */
interface LiveRun {
  readonly controller: AbortController;
  readonly goal: string;
  readonly agent: string;
  readonly kind: 'agent' | 'workflow';
  readonly startedAt: string;
  readonly traceId: string;
  /** Questions to the user open now; the run is `waiting` while there are any. */
  waiting: number;
  /** Steering messages on their way to the agent; set once its journal is open. */
  inbox?: Inbox;
  journal?: RunJournal;
  span?: Span;
}

/** Steering messages sent to a running agent, handed over at its next step; closed once the agent is done. */
class Inbox {
  private closed = false;

  constructor(private readonly messages: string[] = []) {}

  /** Queues a message; false once the agent has ended or is ending. */
  send(text: string): boolean {
    if (this.closed) return false;
    this.messages.push(text);
    return true;
  }

  take(last: boolean): string[] {
    const taken = this.messages.splice(0);
    if (last && taken.length === 0) this.closed = true;
    return taken;
  }

  close(): void {
    this.closed = true;
  }
}

/** How a run's journal is opened: a new one for a new run, the old one reopened for a resumed run. */
interface Launch {
  readonly runId: string;
  readonly goal: string;
  readonly request: RunRequest;
  readonly router: ModelRouter;
  readonly controller: AbortController;
  /** The run's trace; a resumed run continues the one it started with. */
  readonly traceId: string;
  readonly journal: () => Promise<RunJournal | undefined>;
  /** Set when the run is resumed: what was found in its journal. */
  readonly resumed?: { readonly note?: string };
  /** A workflow run's script; absent for an agent run. */
  readonly workflow?: WorkflowStart;
  /** Set when the run goes on after it ended: the conversation so far, the step to go on from, the follow-up. */
  readonly continued?: { readonly history: ChatMessage[]; readonly firstStep: number; readonly message?: string };
  /** Steering messages the journal holds that the agent has not read. */
  readonly unread?: readonly string[];
}

/** Starts agent runs, keeps their cancellation handles, and reports each run's end exactly once. */
export class RunManager {
  private readonly active = new Map<string, LiveRun>();
  /** Runs until they have reported their end, for the host to wait on as it stops. */
  private readonly ending = new Set<Promise<RunResult>>();
  /** Looks whether another window's host let go of runs it held when they were listed; see `watchReleases`. */
  private releaseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      readonly workspace: WorkspacePort;
      /** How runs ask the user; each run puts its questions through an ApprovalBroker of its own timeout. */
      readonly consent: ConsentPort;
      /** The audit log: each run's start and end, and through the run its decisions and side effects. */
      readonly audit?: AuditSink;
      /** The router for the model settings a run brings. */
      readonly models: RouterCache;
      /** Loaded when the first run starts; absent, runs recall nothing and leave no episodes. */
      readonly memory?: () => Promise<EpisodicMemory>;
      /** The tools a run starting now is offered (MCP servers come and go). */
      readonly tools: () => Promise<ToolRegistry>;
      /** The workspace's agent definitions, read afresh for each run; absent, only the default agent runs. */
      readonly agents?: () => Promise<AgentCatalog>;
      /** Where runs are journaled so they survive the host; absent, runs are not durable. */
      readonly journals?: RunStore;
      /** Runs workflow scripts; absent, only agent runs start. */
      readonly workflows?: WorkflowRunner;
      readonly spans: SpanSink;
      readonly finished: (result: RunResult) => void;
      /** A run started working, or began or stopped waiting on the user (its end goes to `finished`). */
      readonly changed?: (runId: string, state: RunState) => void;
      readonly log?: (message: string, level?: LogLevel) => void;
    },
  ) {}

  /**
   * Validates the request and starts the run; `recorded` settles once the run's journal is on disk (so a caller that
   * waits for it before answering never hands out the id of a run a crash could lose), `done` when the run ends.
   */
  start(request: RunRequest, workflow?: WorkflowStart): { runId: string; done: Promise<RunResult>; recorded: Promise<void> } {
    const goal = validateGoal(request.goal);
    // Wrong model settings are refused here, so the user sees which one before a run starts.
    const router = this.deps.models.for(request.models);
    const runId = randomUUID();
    const controller = new AbortController();
    const traceId = randomBytes(16).toString('hex');
    this.track(runId, { controller, goal, agent: workflow ? WORKFLOW_AGENT : (request.agent ?? AGENT_NAME), kind: workflow ? 'workflow' : 'agent', startedAt: new Date().toISOString(), traceId });
    // The rules are the policy's at the time; a resume applies the policy in force then.
    const { rules: _rules, rulesFor: _rulesFor, ...params } = request;
    const opened = this.deps.journals?.create({ runId, goal, request: params, traceId, workflow }) ?? Promise.resolve(undefined);
    // A journal that cannot be written fails the run, which reports why; `recorded` only says the wait is over.
    const recorded = opened.then(() => undefined, () => undefined);
    return { runId, done: this.launch({ runId, goal, request, router, controller, traceId, journal: () => opened, workflow }), recorded };
  }

  /** The runs whose journal has no end and that are not running here. */
  async unfinished(): Promise<UnfinishedRun[]> {
    return (await this.deps.journals?.unfinished(new Set(this.active.keys()))) ?? [];
  }

  /**
   * The runs for the Runs list, newest first: working here (`waiting` while a question to the user is open), left
   * unfinished, failed and still on the dead-letter queue (`failed`; one dismissed from it is not listed), and ended.
   */
  async list(failed: ReadonlySet<string>, limit = 100): Promise<RunListEntry[]> {
    const stored = new Map(((await this.deps.journals?.list()) ?? []).map((run) => [run.runId, run]));
    const entries: RunListEntry[] = [];
    for (const [runId, live] of this.active) {
      // Still being loaded: listed as it is stored until it works.
      if (!live.traceId) continue;
      const run = stored.get(runId);
      stored.delete(runId);
      entries.push({ runId, goal: redacted(live.goal), agent: live.agent, kind: live.kind, state: live.waiting > 0 ? 'waiting' : 'running', startedAt: run?.startedAt ?? live.startedAt, steps: run?.steps ?? 0, filesChanged: run?.filesChanged ?? 0, changedFiles: run?.changedFiles ?? [], traceId: live.traceId });
    }
    const ended: RunListEntry[] = [];
    for (const run of stored.values()) {
      const state = stateOf(run, failed);
      if (state) ended.push(listEntry(run, state));
    }
    // Working runs first; the others by when they last did something.
    ended.sort((a, b) => (b.endedAt ?? b.startedAt).localeCompare(a.endedAt ?? a.startedAt));
    this.watchReleases();
    return [...entries, ...ended].slice(0, limit);
  }

  /**
   * A run another host holds is left out of the list. After a window reload the old host may still be stopping when
   * the new one lists the runs, so until every such run is let go this looks again every few seconds, and says when
   * one is free to be listed (interrupted, to resume, or ended).
   */
  private watchReleases(): void {
    const journals = this.deps.journals;
    if (this.releaseTimer || !journals?.watchingElsewhere) return;
    this.releaseTimer = setInterval(() => {
      void journals.released().then((free) => {
        for (const run of free) this.deps.changed?.(run.runId, stateOf(run, new Set([run.runId])) ?? 'failed');
        if (!journals.watchingElsewhere) this.stopWatchingReleases();
      }, (error: unknown) => this.deps.log?.(`runs held by another window: ${errorMessage(error)}`, 'warn'));
    }, RELEASE_CHECK_MS).unref();
  }

  private stopWatchingReleases(): void {
    clearInterval(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /** A run's conversation from its journal, redacted; throws for a run with no journal here. */
  async transcript(runId: string): Promise<RunMessage[]> {
    const records = await this.deps.journals?.records(runId);
    if (!records) throw new Error(notKept(runId));
    return transcriptOf(records);
  }

  /**
   * Gives a running run's agent a message from the user, read at its next step and journaled first, so a resumed run
   * reads it too, once. False when the run is not working here (it ended, or runs in another window).
   */
  steer(runId: string, message: string): boolean {
    // Redacted as the journal keeps it, so a resumed run reads the same words.
    const text = redacted(validateMessage(message, 'steer'));
    const live = this.active.get(runId);
    if (!live?.inbox || !live.inbox.send(text)) return false;
    live.journal?.append({ type: 'steer', text, time: new Date().toISOString() });
    this.userMessage(live.span, 'steer', text);
    return true;
  }

  /**
   * Goes on with an ended run (succeeded, failed or cancelled) under its id and trace: the agent gets the run's
   * conversation so far (compacted as its model needs) and the follow-up, with a fresh step limit. The journal holds
   * the follow-up before anything runs, so a crash from then on leaves a run that resumes as this continuation.
   */
  async continue(runId: string, message: string, now: { models?: ModelConfig; restricted?: boolean } = {}, prepare: (params: StartRunParams) => RunRequest = (params) => params): Promise<{ runId: string; done: Promise<RunResult> }> {
    const text = validateMessage(message, 'follow-up');
    const journals = this.deps.journals;
    if (!journals) throw new Error(l10n.t('This host keeps no run journals, so a run cannot be continued.'));
    if (this.active.has(runId) || (await journals.runningElsewhere(runId))) throw new Error(l10n.t('Run {0} is still running; steer it with a message instead, or wait for it to end.', runId));
    // A workflow's script decides what happens next, and a resume would run the script, not a follow-up.
    if ((await journals.ended(runId))?.agent === WORKFLOW_AGENT) throw new Error(l10n.t('Run {0} is a workflow, which cannot be continued with a message; run the workflow again with new input, or start a task.', runId));
    const controller = new AbortController();
    // Held before the journal moves, so a second continue or a resume of the same run is refused meanwhile.
    this.hold(runId, controller);
    try {
      const loaded = await journals.continueEnded(runId, text);
      const request = prepare({ ...loaded.request, models: now.models ?? loaded.request.models, restricted: loaded.request.restricted === true || now.restricted === true });
      const router = this.deps.models.for(request.models);
      this.track(runId, { controller, goal: loaded.goal, agent: request.agent ?? AGENT_NAME, kind: 'agent', startedAt: loaded.startedAt, traceId: loaded.traceId });
      return { runId, done: this.launch({ runId, goal: loaded.goal, request, router, controller, traceId: loaded.traceId, journal: async () => journals.openContinued(loaded), ...session(loaded, text) }) };
    } catch (error) {
      this.active.delete(runId);
      throw error;
    }
  }

  /**
   * Reverts the files an ended run changed (since its last undo) to their content before it; all or nothing. The
   * caller has the user's confirmation: this is the decision.
   */
  async undo(runId: string): Promise<UndoResult> {
    const journals = this.deps.journals;
    if (!journals) throw new Error(l10n.t('This host keeps no run journals, so there is nothing to undo.'));
    if (this.active.has(runId) || (await journals.runningElsewhere(runId))) throw new Error(l10n.t('Run {0} is still running; cancel it or wait for it to end, then undo it.', runId));
    const records = await journals.records(runId);
    if (!records) throw new Error(notKept(runId));
    const end = endOf(records);
    if (!end) throw new Error(l10n.t('Run {0} has not ended; resume or discard it first, then undo it.', runId));
    const changes = fileChangesOf(records);
    if (changes.length === 0) return { undone: false, files: [], message: l10n.t('Run {0} left no file changes to undo (edits and new files count; commands are not tracked).', runId) };
    const result = await undoChanges(changes, { runId, workspace: this.deps.workspace, backups: journals.backups(runId), ...(this.deps.audit ? { audit: this.deps.audit } : {}) });
    if (result.undone) {
      await journals.undone(runId, result.files);
      this.deps.changed?.(runId, end.outcome === 'succeeded' || end.outcome === 'cancelled' ? end.outcome : 'failed');
    }
    return result;
  }

  /**
   * Resumes an unfinished run under its id and trace, with the model settings in force now when given (the journal
   * keeps no keys), restricted if either its start or now says so, and under the policy in force now (`prepare`). A
   * run whose journal is damaged ends as failed without running anything. Throws for a run that is running (here or
   * in another window) or not unfinished.
   */
  async resume(runId: string, now: { models?: ModelConfig; restricted?: boolean } = {}, prepare: (params: StartRunParams) => RunRequest = (params) => params): Promise<{ runId: string; done: Promise<RunResult> }> {
    const journals = this.deps.journals;
    if (!journals) throw new Error(l10n.t('This host keeps no run journals, so there is nothing to resume.'));
    if (this.active.has(runId) || (await journals.runningElsewhere(runId))) throw new Error(l10n.t('Run {0} is running already.', runId));
    const controller = new AbortController();
    this.hold(runId, controller);
    try {
      const loaded = await journals.load(runId).catch((error: Error) => error);
      if (loaded instanceof Error) throw new Error(l10n.t('Run {0} is not an unfinished run ({1}); list them with runs/listUnfinished.', runId, loaded.message));
      if (loaded === 'ended' || loaded === 'missing') throw new Error(l10n.t('Run {0} is not an unfinished run; list them with runs/listUnfinished.', runId));
      if (!loaded.ok) {
        await journals.close(runId, 'failed', loaded.problem);
        const result: RunResult = { runId, outcome: 'failed', message: l10n.t('The run could not be resumed: {0}.', loaded.problem) };
        this.active.delete(runId);
        this.deps.finished(result);
        return { runId, done: Promise.resolve(result) };
      }
      const request = prepare({ ...loaded.request, models: now.models ?? loaded.request.models, restricted: loaded.request.restricted === true || now.restricted === true });
      const router = this.deps.models.for(request.models);
      const resumed = loaded.note ? { note: loaded.note } : {};
      this.track(runId, { controller, goal: loaded.goal, agent: loaded.workflow ? WORKFLOW_AGENT : (request.agent ?? AGENT_NAME), kind: loaded.workflow ? 'workflow' : 'agent', startedAt: loaded.startedAt, traceId: loaded.traceId });
      return { runId, done: this.launch({ runId, goal: loaded.goal, request, router, controller, traceId: loaded.traceId, journal: () => journals.reopen(loaded), resumed, workflow: loaded.workflow, ...session(loaded) }) };
    } catch (error) {
      this.active.delete(runId);
      throw error;
    }
  }

  /** Closes an unfinished run the user does not want resumed; false when there is no such run. */
  async discard(runId: string): Promise<boolean> {
    if (this.active.has(runId) || !this.deps.journals || (await this.deps.journals.runningElsewhere(runId))) return false;
    const loaded = await this.deps.journals.load(runId).catch(() => 'missing' as const);
    if (loaded === 'missing' || loaded === 'ended') return false;
    await this.deps.journals.close(runId, 'cancelled', l10n.t('The user discarded the unfinished run.'));
    this.deps.changed?.(runId, 'cancelled');
    return true;
  }

  cancel(runId: string): boolean {
    const live = this.active.get(runId);
    live?.controller.abort();
    return live !== undefined;
  }

  cancelAll(): void {
    for (const live of this.active.values()) live.controller.abort();
  }

  /**
   * The host is stopping: every run ends as interrupted and stays unfinished in its journal, to be resumed. Resolves
   * once they have reported it, or after `graceMs`, so a run stuck below cannot hold the host's exit.
   */
  async interruptAll(graceMs = 2000): Promise<void> {
    this.stopWatchingReleases();
    for (const live of this.active.values()) live.controller.abort(HOST_STOPPING);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.ending]), grace]);
    clearTimeout(timer);
  }

  get activeRuns(): number {
    return this.active.size;
  }

  /** Keeps a run from being started twice while it is being loaded. */
  private hold(runId: string, controller: AbortController): void {
    this.active.set(runId, { controller, goal: '', agent: AGENT_NAME, kind: 'agent', startedAt: new Date().toISOString(), traceId: '', waiting: 0 });
  }

  /** The run is working here now; the Runs list hears so. */
  private track(runId: string, live: Omit<LiveRun, 'waiting'>): void {
    this.active.set(runId, { ...live, waiting: 0 });
    this.deps.changed?.(runId, 'running');
  }

  /** The user's port for one run, counting its open questions: while one is open the run is `waiting`. */
  private watched(runId: string): ConsentPort {
    const port = this.deps.consent;
    const asking = async <A>(ask: () => Promise<A>): Promise<A> => {
      const live = this.active.get(runId);
      if (live && ++live.waiting === 1) this.deps.changed?.(runId, 'waiting');
      try {
        return await ask();
      } finally {
        if (live && --live.waiting === 0 && this.active.get(runId) === live) this.deps.changed?.(runId, 'running');
      }
    };
    return {
      reviewEdit: (review, signal) => asking(() => port.reviewEdit(review, signal)),
      reviewToolCall: (review, signal) => asking(() => port.reviewToolCall(review, signal)),
      approveBudget: (escalation, signal) => asking(() => port.approveBudget(escalation, signal)),
      elicit: (request, signal) => asking(() => port.elicit(request, signal)),
      confirmRepeat: (question, signal) => asking(() => port.confirmRepeat(question, signal)),
      askUser: (question, signal) => asking(() => port.askUser(question, signal)),
    };
  }

  /** A message from the user in the run's trace: a span of its own, the text as content. */
  private userMessage(span: Span | undefined, kind: 'steer' | 'continue', text: string): void {
    const message = span?.child(`user_message ${kind}`, 'user_message', { 'keel.message.kind': kind });
    message?.setContent({ 'keel.message.text': text });
    message?.end('ok');
  }

  /**
   * Runs the agent and reports the end once. Whatever fails on the way (loading tools, a bug in a layer below) is
   * this run's failure, reported as such, never an unhandled rejection that would take the host down.
   */
  private async launch(launch: Launch): Promise<RunResult> {
    // Whatever the run logs, at any depth, says which run it was.
    const done = withLogContext({ runId: launch.runId, agent: launch.request.agent ?? AGENT_NAME }, () => this.execute(launch));
    this.ending.add(done);
    try {
      return await done;
    } finally {
      this.active.delete(launch.runId);
      this.ending.delete(done);
    }
  }

  private async execute({ runId, goal, request, router, controller, traceId, journal: openJournal, resumed, continued, unread, workflow }: Launch): Promise<RunResult> {
    const { signal } = controller;
    const agentName = workflow ? WORKFLOW_AGENT : (request.agent ?? AGENT_NAME);
    // A workflow's root span has its agents beneath it.
    const name = workflow ? `invoke_workflow ${workflow.path}` : `invoke_agent ${agentName}`;
    const attributes = {
      'gen_ai.agent.name': agentName,
      'keel.run.id': runId,
      'keel.run.goal': goal,
      'keel.run.restricted': request.restricted === true,
      ...(request.rules ? { 'keel.policy.autonomy': request.rules.autonomy, 'keel.policy.problems': request.rules.problems.join('\n') } : {}),
      ...(resumed ? { 'keel.run.resumed': true, ...(resumed.note ? { 'keel.run.resume_note': resumed.note } : {}) } : {}),
      ...(continued ? { 'keel.run.continued': true } : {}),
    };
    // A resumed run's new root joins the trace it started with.
    const span = new Span(this.deps.spans, { traceId, name, operation: workflow ? 'invoke_workflow' : 'invoke_agent', attributes });
    let output: AgentRunOutput;
    let memory: EpisodicMemory | undefined;
    let hooks: ToolRegistry['hooks'];
    let journal: RunJournal | undefined;
    const live = this.active.get(runId);
    // A workflow's agents are its script's to direct: only an agent run is steered.
    const inbox = workflow ? undefined : new Inbox([...(unread ?? [])]);
    try {
      journal = await openJournal();
      if (live) Object.assign(live, { inbox, journal, span });
      if (continued?.message) this.userMessage(span, 'continue', continued.message);
      if (!resumed) await this.deps.audit?.append({ kind: 'run_start', runId, goal });
      let registry: ToolRegistry;
      let catalog: AgentCatalog;
      [registry, memory, catalog] = await Promise.all([this.deps.tools(), this.deps.memory?.().catch(() => undefined), this.deps.agents?.() ?? { agents: new Map(), problems: [] }]);
      hooks = registry.hooks;
      const agent = request.agent === undefined ? undefined : catalog.agents.get(request.agent);
      if (request.agent !== undefined && !agent) throw new RunRefused(noSuchAgent(request.agent, catalog.problems));
      const gate = await hooks?.ask('runStart', { goal, agent: agentName }, { runId, parent: span, signal, audit: this.deps.audit });
      if (gate?.decision === 'deny') throw new RunRefused(gate.reason ?? l10n.t('a hook refused the run'));
      const run = {
        runId,
        goal,
        model: router,
        privacy: request.privacy ?? { localOnly: false, localOnlyGlobs: [] },
        // A definition's own step limit, within the policy's.
        limits: agent?.maxSteps ? { ...request.limits, maxSteps: Math.min(agent.maxSteps, request.rules?.maxSteps ?? Infinity) } : request.limits,
        agent,
        // An untrusted workspace's run stays one agent: no subagents spending on its behalf.
        team: new Team(catalog, request.restricted ? { ...request.limits, maxParallel: 0 } : request.limits, request.rulesFor),
        tools: request.restricted ? registry.onlyRisk('read') : registry,
        // Restricted Mode sends nothing out: sandboxed code gets no fetch.
        policy: { allowHosts: request.restricted ? [] : (request.allowHosts ?? []), passEnv: request.passEnv ?? [], commandSandbox: request.commandSandbox ?? 'auto', rules: request.rules, grants: new RunGrants() },
        workspace: this.deps.workspace,
        consent: this.watched(runId),
        audit: this.deps.audit,
        memory,
        record: journal,
        ...(inbox ? { session: { history: continued?.history ?? [], firstStep: continued?.firstStep ?? 1, take: (last) => inbox.take(last) } satisfies RunSession } : {}),
        span,
        signal,
      };
      output = workflow ? await this.runWorkflow(workflow, run, journal) : await runWithFallback(run, catalog, runAgent);
    } catch (error) {
      const message = signal.aborted ? l10n.t('The run was cancelled.') : error instanceof RunRefused ? l10n.t('The run was refused: {0}.', error.message) : l10n.t('The run failed inside Keel: {0}', errorMessage(error));
      output = { outcome: signal.aborted ? 'cancelled' : 'failed', message, toolsUsed: [], filesTouched: [], tokens: { input: 0, output: 0 } };
    }
    inbox?.close();
    // runEnd hooks observe; what they answer is recorded, and a failing one does not change the outcome.
    await hooks?.ask('runEnd', { outcome: output.outcome, answer: output.message }, { runId, parent: span, signal: new AbortController().signal, audit: this.deps.audit }).catch((error: unknown) => this.deps.log?.(`runEnd hooks of run ${runId}: ${errorMessage(error)}`));
    // The router's totals include calls the loop never saw answered (a classifier call, failed attempts).
    const spent = router.endRun(runId);
    if (signal.reason === HOST_STOPPING) return this.interrupted(runId, span, journal);
    await this.closeJournal(runId, journal, output);
    await this.deps.audit?.append({ kind: 'run_end', runId, outcome: output.outcome, costUsd: spent.costUsd }).catch((error: unknown) => this.deps.log?.(`audit log: run ${runId}'s end not recorded: ${errorMessage(error)}`));
    span.setAttributes({ 'keel.run.outcome': output.outcome, 'keel.cost.usd': spent.costUsd, 'keel.model.calls': spent.calls });
    span.end(output.outcome === 'succeeded' ? 'ok' : output.outcome === 'cancelled' ? 'cancelled' : 'error', output.outcome === 'succeeded' ? undefined : output.message);
    this.deps.log?.(`run ${output.outcome} after ${spent.calls} model call(s), $${spent.costUsd.toFixed(4)}`, output.outcome === 'failed' ? 'warn' : 'info');
    // The final answer may quote what the model read; it reaches notifications and the extension's log.
    const result: RunResult = { runId, outcome: output.outcome, message: redacted(output.message) };
    // Over for the caller now: remembering it below must not keep it cancellable.
    this.active.delete(runId);
    this.deps.finished(result);
    await memory
      ?.remember({
        runId, goal, agent: agentName, outcome: output.outcome, summary: output.message, filesTouched: [...output.filesTouched], toolsUsed: [...output.toolsUsed],
        tokens: { input: spent.inputTokens, output: spent.outputTokens }, costUsd: spent.costUsd, finishedAt: new Date().toISOString(),
      })
      .catch((error: unknown) => this.deps.log?.(`run ${runId} was not remembered: ${errorMessage(error)}`));
    return result;
  }

  private runWorkflow(workflow: WorkflowStart, run: Parameters<WorkflowRunner['run']>[1], journal: RunJournal | undefined): Promise<AgentRunOutput> {
    if (!this.deps.workflows) throw new RunRefused(l10n.t('this host runs no workflows'));
    return this.deps.workflows.run(workflow, run, journal);
  }

  /** Stopped with the host: the journal stays unfinished, so the run can resume when the host starts again. */
  private interrupted(runId: string, span: Span, journal: RunJournal | undefined): RunResult {
    journal?.close();
    span.end('cancelled', HOST_STOPPING);
    const result: RunResult = { runId, outcome: 'interrupted', message: l10n.t('The agent host stopped during the run; it can be resumed when the host starts again.') };
    this.active.delete(runId);
    this.deps.finished(result);
    return result;
  }

  private async closeJournal(runId: string, journal: RunJournal | undefined, output: AgentRunOutput): Promise<void> {
    try {
      journal?.end(output.outcome, output.message);
      if (journal) await this.deps.journals?.retire(runId);
    } catch (error) {
      this.deps.log?.(`run ${runId}: its journal was not closed: ${errorMessage(error)}`);
    }
  }
}

/** A runStart hook said no: the run ends before anything ran, with the hook's reason. */
class RunRefused extends Error {}

/** Why a run naming an agent the workspace does not define is refused; completes "The run was refused: …". */
function noSuchAgent(agent: string, problems: readonly string[]): string {
  if (problems.length === 0) return l10n.t('no agent is named {0}; list them with {1} or {2}', agent, '"Keel: Run Agent…"', '"keel agents"');
  return l10n.t('no agent is named {0} (definitions that did not load: {1}); list them with {2} or {3}', agent, problems.join('; '), '"Keel: Run Agent…"', '"keel agents"');
}

function notKept(runId: string): string {
  return l10n.t('No run {0} is kept here (ended runs are kept for 30 days, at most 100); list them with runs/list.', runId);
}

/** The Runs list's state of a run that is not working here; undefined for one it leaves out. */
function stateOf(run: RunSummary, failed: ReadonlySet<string>): RunState | undefined {
  if (!run.end) return 'interrupted';
  if (run.end.outcome === 'succeeded' || run.end.outcome === 'cancelled') return run.end.outcome;
  return failed.has(run.runId) ? 'failed' : undefined;
}

function listEntry(run: RunSummary, state: RunState): RunListEntry {
  const message = run.problem ? l10n.t('It cannot be resumed: {0}', run.problem) : run.end?.message;
  return {
    runId: run.runId, goal: redacted(run.goal), agent: run.agent, kind: run.kind, state, startedAt: run.startedAt, steps: run.steps, filesChanged: run.filesChanged, changedFiles: run.changedFiles,
    ...(run.end ? { endedAt: run.end.at } : {}), ...(message ? { message: redacted(message) } : {}), ...(run.traceId ? { traceId: run.traceId } : {}),
  };
}

/** How a loaded run's agent goes on: a continuation's conversation, and the steering messages it has not read. */
function session(loaded: Extract<LoadedRun, { ok: true }>, message?: string): Pick<Launch, 'continued' | 'unread'> {
  return { ...(loaded.continued ? { continued: { ...loaded.continued, ...(message ? { message } : {}) } } : {}), unread: loaded.replay.unread };
}

/** A steering message or a follow-up, trimmed; each named whole in its errors, so a translation reads as one sentence. */
function validateMessage(message: unknown, kind: 'steer' | 'follow-up'): string {
  const limit = MAX_MESSAGE_CHARS.toLocaleString('en');
  if (typeof message !== 'string' || message.trim() === '') {
    throw new Error(kind === 'steer' ? l10n.t('The steering message is empty; say what the agent should do.') : l10n.t('The follow-up is empty; say what the agent should do.'));
  }
  if (message.length > MAX_MESSAGE_CHARS) {
    throw new Error(kind === 'steer'
      ? l10n.t('The steering message is {0} characters long; keep it under {1} and put details in files the agent can read.', message.length, limit)
      : l10n.t('The follow-up is {0} characters long; keep it under {1} and put details in files the agent can read.', message.length, limit));
  }
  return message.trim();
}

export function validateGoal(goal: unknown): string {
  if (typeof goal !== 'string' || goal.trim() === '') {
    throw new Error(l10n.t('The goal is empty. Describe what the agent should do, e.g. "Rename the function foo to bar in src/a.ts".'));
  }
  if (goal.length > 20_000) throw new Error(l10n.t('The goal is {0} characters long; keep it under 20,000 and put details in files the agent can read.', goal.length));
  return goal.trim();
}
