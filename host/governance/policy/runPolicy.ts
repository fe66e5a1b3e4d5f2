import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import { Minimatch } from 'minimatch';
import type { AllowRule, CommandPart } from '../../../protocol/rpc';
import type { RiskClass } from '../../../protocol/run';
import { parseCommandLine } from './commandLine';
import type { SimpleCommand, Word } from './commandWords';
import { allows, compileCommandRule, restricts, type CommandPattern } from './commandRules';
import type { LevelName, PolicyLevel } from './policyLevels';
import type { Autonomy, PolicyDocument, PolicySection, Verdict } from './policyDocument';
import { policyLevelLabel, riskLabel } from '../../../protocol/stateLabels';

/** What a tool call touches, as the tool declares it (`Tool.touches`). */
export interface CallFacts {
  readonly tool: string;
  readonly risk: RiskClass;
  /** A shell command line (`run_command`). */
  readonly command?: string;
  /** Workspace-relative files read, written, and folders whose files are read. */
  readonly reads?: readonly string[];
  readonly writes?: readonly string[];
  readonly folders?: readonly string[];
  /** Hosts it connects to. */
  readonly hosts?: readonly string[];
}

/** The policy's answer about one call, with the rule and level that decided it. */
export interface PolicyDecision {
  readonly verdict: Verdict;
  /** `default`: no policy has a rule for it, so Keel's own default applies; `run`: the user allowed it for this run. */
  readonly level: LevelName | 'default' | 'run';
  /** The rule as written, e.g. `commands.deny "rm *"`. */
  readonly rule?: string;
  /** For the user and the model: why, in words. */
  readonly reason: string;
  /** A command rule lets the command run outside the OS sandbox. */
  readonly unsandboxed?: boolean;
  /** A command rule says the command needs the network. */
  readonly network?: boolean;
  /**
   * A deny or ask rule (or a refused policy) decided it, so no allow rule and no "Always allow" can lift it; an ask
   * that only says no rule allows the call, or that autonomy is supervised, is not firm.
   */
  readonly firm?: boolean;
  /** A command line's simple commands, each with the rule that decided it, for the approval question. */
  readonly parts?: readonly CommandPart[];
  /** Why parts of a command line cannot be checked. */
  readonly unchecked?: readonly string[];
}

type Opinion = Omit<PolicyDecision, 'unsandboxed' | 'network' | 'parts' | 'unchecked'>;

const STRICTNESS: Readonly<Record<Verdict, number>> = { allow: 0, ask: 1, deny: 2 };

/** Paths a redirection may write that are not files. */
const DEVICES: ReadonlySet<string> = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty']);

/** One level's rules for the run's agent, compiled once per run. */
interface CompiledLevel {
  readonly level: LevelName;
  readonly source: string;
  /** Why the level's policy was refused (its rules are then "ask for everything"). */
  readonly error?: string;
  readonly tools: Readonly<Record<Verdict, readonly { glob: string; matcher: Minimatch }[]>>;
  readonly commands: Readonly<Record<Verdict, readonly CommandPattern[]>>;
  readonly read?: readonly { glob: string; matcher: Minimatch }[];
  readonly write?: readonly { glob: string; matcher: Minimatch }[];
  readonly hosts?: readonly { glob: string; matcher: Minimatch }[];
}

/**
 * The policy in force for one run: the managed, user and workspace levels for the run's agent, combined so that a
 * lower level can only tighten (deny beats ask beats allow, from whichever level; scopes intersect; the smallest
 * budget and step limit win; autopilot only when the user or the administrator grants it and no level says
 * supervised). With no policy anywhere every decision is Keel's default: read-only calls run, everything else asks.
 */
export class RunPolicy {
  readonly autonomy: Autonomy;
  /** The agent whose sections apply. */
  readonly agent: string;
  /** Each level's document as read, for "Always allow" to say where its rule would go. */
  readonly documents: Partial<Readonly<Record<LevelName, PolicyDocument>>>;
  readonly maxSteps: number | undefined;
  readonly usdPerRun: number | undefined;
  /** Levels that were refused, with why: shown with the run and in every question they cause. */
  readonly problems: readonly string[];
  private readonly levels: readonly CompiledLevel[];
  /** The workspace asks for autopilot, which no higher level grants: said in questions, so the user knows why. */
  private readonly workspaceWantsAutopilot: boolean;

  /**
   * @param restricted Restricted Mode: the workspace's policy may only tighten (its allow rules and autopilot are
   * ignored), and nothing runs on autopilot.
   */
  constructor(levels: readonly PolicyLevel[], options: { readonly agent: string; readonly restricted: boolean }) {
    this.agent = options.agent;
    this.documents = Object.fromEntries(levels.map((level) => [level.level, level.document]));
    const sections = levels.map((level) => ({ level, section: sectionFor(level, options.agent) }));
    this.levels = sections.map(({ level, section }) => compile(level, section, options.restricted && level.level === 'workspace'));
    this.problems = levels.flatMap((level) => (level.error ? [level.error] : []));
    // Autopilot loosens, so it must come from the user or the administrator; a workspace can ask for it (and so
    // choose it where the user allows it) or refuse it, but a repository cannot switch it on by itself.
    const said = (name: Autonomy, levels: readonly LevelName[]) => sections.some(({ level, section }) => levels.includes(level.level) && section.autonomy === name);
    const autopilot = !options.restricted && said('autopilot', ['managed', 'user']) && !said('supervised', ['managed', 'user', 'workspace']);
    this.autonomy = autopilot ? 'autopilot' : 'supervised';
    this.workspaceWantsAutopilot = !autopilot && said('autopilot', ['workspace']);
    this.maxSteps = smallest(sections.map(({ section }) => section.maxSteps));
    this.usdPerRun = smallest(sections.map(({ section }) => section.budgets?.usdPerRun));
  }

  /** Hosts the run may reach: those of `allowHosts` that every level naming hosts also names. */
  allowHosts(allowHosts: readonly string[]): string[] {
    return allowHosts.filter((entry) => this.levels.every((level) => !level.hosts || level.hosts.some(({ matcher }) => matcher.match(hostOf(entry)))));
  }

  async decide(call: CallFacts): Promise<PolicyDecision> {
    const opinions: Opinion[] = [...this.toolOpinions(call.tool), ...this.pathOpinions(call), ...this.hostOpinions(call.hosts ?? [])];
    let extras: Pick<PolicyDecision, 'unsandboxed' | 'network' | 'parts' | 'unchecked'> = {};
    if (call.command !== undefined) {
      const commands = await this.commandOpinions(call.command);
      opinions.push(...commands.opinions);
      extras = { unsandboxed: commands.unsandboxed, network: commands.network, parts: commands.parts, unchecked: commands.unchecked };
    }
    const decided = strictest(opinions) ?? defaultOpinion(call.risk);
    const firm = opinions.some((o) => o.firm && o.verdict !== 'allow') ? { firm: true } : {};
    if (decided.verdict === 'allow' && call.risk !== 'read' && this.autonomy === 'supervised' && decided.level !== 'default') {
      const reason = this.workspaceWantsAutopilot
        ? l10n.t('{0}, but autonomy is supervised (the workspace policy asks for autopilot, which only the {1} setting or the managed policy can grant), so each {2} call is confirmed', decided.reason, 'keel.policy', riskLabel(call.risk))
        : l10n.t('{0}, but autonomy is supervised, so each {1} call is confirmed', decided.reason, riskLabel(call.risk));
      return { ...decided, ...extras, verdict: 'ask', reason };
    }
    return { ...decided, ...extras, ...firm };
  }

  /**
   * The deny or ask rule of any level that would catch what an allow rule allows, in words, or undefined: an allow
   * rule under it would never take effect (deny and ask win at every level), so it is not written.
   */
  catches(rule: AllowRule): string | undefined {
    if (rule.list === 'tools') {
      for (const level of this.levels) {
        for (const verdict of ['deny', 'ask'] as const) {
          const hit = level.tools[verdict].find(({ matcher }) => matcher.match(rule.pattern));
          if (hit) return matchesRule(rule.pattern, `tools.${verdict} "${hit.glob}"`, level.level);
        }
      }
      return undefined;
    }
    // The pattern as the command it allows: a `*` word may be anything, so it is caught by any rule.
    const pattern = compileCommandRule(rule.pattern);
    const word = (text: string) => ({ text, dynamic: text === '*' || /[*?]/.test(text) });
    const parts = rule.pattern.trim().split(/\s+/);
    const command: SimpleCommand = { assignments: parts.slice(0, pattern.assignments.length).map(word), words: parts.slice(pattern.assignments.length).map(word), source: rule.pattern };
    for (const level of this.levels) {
      const [hit] = commandVerdict(level, command, 'restrict');
      if (hit) return hit.opinion.reason;
    }
    return undefined;
  }

  private toolOpinions(tool: string): Opinion[] {
    return this.levels.flatMap((level) => {
      for (const verdict of ['deny', 'ask', 'allow'] as const) {
        const hit = level.tools[verdict].find(({ matcher }) => matcher.match(tool));
        if (!hit) continue;
        const reason = level.error ? l10n.t('the {0} policy is invalid, so Keel asks about everything until it is fixed: {1}', level.level, level.error) : matchesRule(tool, `tools.${verdict} "${hit.glob}"`, level.level);
        return [{ verdict, level: level.level, rule: `tools.${verdict} "${hit.glob}"`, reason, firm: verdict !== 'allow' }];
      }
      return [];
    });
  }

  private pathOpinions(call: CallFacts): Opinion[] {
    const opinions: Opinion[] = [];
    for (const level of this.levels) {
      for (const path of call.reads ?? []) opinions.push(...scopeOpinion(level, 'read', path, false));
      for (const path of call.folders ?? []) opinions.push(...scopeOpinion(level, 'read', path, true));
      for (const path of call.writes ?? []) opinions.push(...scopeOpinion(level, 'write', path, false));
    }
    return opinions;
  }

  private hostOpinions(hosts: readonly string[]): Opinion[] {
    return this.levels.flatMap((level) => {
      const outside = level.hosts && hosts.find((host) => !level.hosts!.some(({ matcher }) => matcher.match(host)));
      return outside ? [{ verdict: 'deny' as const, level: level.level, rule: 'network.hosts', reason: l10n.t('{0} is not among the {1} of the {2} policy', outside, 'network.hosts', policyLevelLabel(level.level)), firm: true }] : [];
    });
  }

  private async commandOpinions(line: string): Promise<{ opinions: Opinion[]; unsandboxed: boolean; network: boolean; parts: CommandPart[]; unchecked: string[] }> {
    const parsed = await parseCommandLine(line);
    const opinions: Opinion[] = [];
    const parts: CommandPart[] = [];
    const grants: { level: LevelName; pattern: CommandPattern }[] = [];
    let everyGranted = parsed.commands.length > 0;
    let everyNetworked = parsed.commands.length > 0;
    let unmatched: SimpleCommand | undefined;
    let allowed: Opinion | undefined;
    for (const command of parsed.commands) {
      const verdicts = this.levels.flatMap((level) => commandVerdict(level, command, 'all'));
      const strict = strictest(verdicts.map((v) => v.opinion));
      parts.push({ source: clip(command.source, 200), ...(strict ? { verdict: strict.verdict, level: strict.level, ...(strict.rule ? { rule: strict.rule } : {}) } : {}) });
      if (!strict) unmatched ??= command;
      else opinions.push(strict);
      if (strict?.verdict === 'allow') allowed ??= strict;
      const granting = verdicts.filter((v) => v.opinion.verdict !== 'deny');
      everyGranted &&= granting.length > 0;
      everyNetworked &&= granting.some((v) => v.pattern.network);
      grants.push(...granting.map((v) => ({ level: v.opinion.level as LevelName, pattern: v.pattern })));
    }
    for (const probe of parsed.probes) {
      const caught = strictest(this.levels.flatMap((level) => commandVerdict(level, probe, 'restrict')).map((v) => v.opinion));
      if (caught) opinions.push(caught);
    }
    for (const target of parsed.writes) opinions.push(...this.redirectOpinions(target));
    // A name known only when it runs can be any program, whatever else the policy allows (even all of run_command).
    const dynamic = parsed.commands.find((command) => command.words[0]?.dynamic);
    if (dynamic) opinions.push({ verdict: 'ask', level: 'default', reason: l10n.t('Keel cannot check every part of this command: the program `{0}` is known only when it runs', clip(dynamic.words[0]!.text)) });
    if (parsed.opaque.length > 0) {
      opinions.push({ verdict: 'ask', level: 'default', reason: l10n.t('Keel cannot check every part of this command: {0}', parsed.opaque[0]!) });
    } else if (unmatched && allowed) {
      // Allowed parts do not carry the rest: a line is allowed only if every command in it is.
      opinions.push({ verdict: 'ask', level: allowed.level, rule: allowed.rule, reason: l10n.t('`{0}` in this command matches no allow rule', clip(unmatched.source)) });
    }
    // Out of the sandbox only when every command's rules say so, and with the network only when a rule grants it to
    // every command; what a workspace grants this way is asked about.
    const unsandboxed = everyGranted && grants.every((grant) => !grant.pattern.sandbox);
    if (unsandboxed && grants.some((grant) => grant.level === 'workspace')) {
      opinions.push({ verdict: 'ask', level: 'workspace', reason: l10n.t('the workspace policy runs this command outside the OS sandbox'), firm: true });
    }
    const network = everyNetworked && parsed.opaque.length === 0;
    if (network && grants.some((grant) => grant.level === 'workspace' && grant.pattern.network)) {
      opinions.push({ verdict: 'ask', level: 'workspace', reason: l10n.t('the workspace policy gives this command the network'), firm: true });
    }
    const unchecked = [...(dynamic ? [l10n.t('the program `{0}` is known only when it runs', clip(dynamic.words[0]!.text))] : []), ...parsed.opaque];
    return { opinions, unsandboxed, network, parts, unchecked };
  }

  private redirectOpinions(target: Word): Opinion[] {
    if (!target.dynamic && DEVICES.has(target.text)) return [];
    if (target.dynamic) {
      return this.levels.filter((level) => level.write).map((level) => ({ verdict: 'ask' as const, level: level.level, rule: 'paths.write', reason: l10n.t('the command writes to {0}, a file Keel cannot name before it runs', target.text), firm: true }));
    }
    return this.levels.flatMap((level) => scopeOpinion(level, 'write', target.text, false));
  }
}

function sectionFor(level: PolicyLevel, agent: string): PolicySection {
  return { ...level.document.default, ...level.document.agents?.[agent] };
}

function compile(level: PolicyLevel, section: PolicySection, tightenOnly: boolean): CompiledLevel {
  const globs = (list: readonly string[] | undefined, options: { nocase?: boolean } = {}) => (list ?? []).map((glob) => ({ glob, matcher: new Minimatch(glob, { dot: true, ...options }) }));
  const optional = (list: readonly string[] | undefined) => (list ? globs(list.map((glob) => glob.replace(/^\.\//, ''))) : undefined);
  return {
    level: level.level,
    source: level.source,
    ...(level.error ? { error: level.error } : {}),
    tools: { allow: tightenOnly ? [] : globs(section.tools?.allow, { nocase: true }), ask: globs(section.tools?.ask, { nocase: true }), deny: globs(section.tools?.deny, { nocase: true }) },
    commands: {
      allow: tightenOnly ? [] : (section.commands?.allow ?? []).map(compileCommandRule),
      ask: (section.commands?.ask ?? []).map(compileCommandRule),
      deny: (section.commands?.deny ?? []).map(compileCommandRule),
    },
    read: optional(section.paths?.read),
    write: optional(section.paths?.write),
    hosts: section.network?.hosts ? globs(section.network.hosts, { nocase: true }) : undefined,
  };
}

/** One level's verdict on a simple command: the strictest rule that matches it, and the rule. */
function commandVerdict(level: CompiledLevel, command: SimpleCommand, which: 'all' | 'restrict'): { opinion: Opinion; pattern: CommandPattern }[] {
  for (const verdict of ['deny', 'ask'] as const) {
    const hit = level.commands[verdict].find((rule) => restricts(rule, command));
    if (hit) return [{ pattern: hit, opinion: { verdict, level: level.level, rule: `commands.${verdict} "${hit.pattern}"`, reason: matchesRule(`\`${clip(command.source)}\``, `commands.${verdict} "${hit.pattern}"`, level.level), firm: true } }];
  }
  if (which === 'restrict') return [];
  const hit = level.commands.allow.find((rule) => allows(rule, command));
  return hit ? [{ pattern: hit, opinion: { verdict: 'allow', level: level.level, rule: `commands.allow "${hit.pattern}"`, reason: matchesRule(`\`${clip(command.source)}\``, `commands.allow "${hit.pattern}"`, level.level) } }] : [];
}

/**
 * Whether a path is inside a level's read or write scope. A folder whose files are read (search_files over the
 * workspace) is inside when the scope covers it, and asks when the scope covers only part of it.
 */
function scopeOpinion(level: CompiledLevel, kind: 'read' | 'write', path: string, folder: boolean): Opinion[] {
  const scope = level[kind];
  if (!scope) return [];
  const relative = workspaceRelative(path);
  const rule = `paths.${kind}`;
  if (relative !== undefined && scope.some(({ matcher }) => matcher.match(relative))) return [];
  if (folder && relative !== undefined && scope.some(({ matcher }) => matcher.match(relative === '.' ? '' : relative, true) || relative === '.')) {
    const globs = scope.map((s) => s.glob).join(', ');
    const reason = relative === '.'
      ? l10n.t('it reads the whole workspace, and the {0} policy allows reading only {1}', level.level, globs)
      : l10n.t('it reads {0}, and the {1} policy allows reading only {2}', relative, level.level, globs);
    return [{ verdict: 'ask', level: level.level, rule, reason, firm: true }];
  }
  return [{ verdict: 'deny', level: level.level, rule, reason: l10n.t('{0} is outside the {1} scope of the {2} policy ({3})', path, kind, level.level, scope.map((s) => s.glob).join(', ')), firm: true }];
}

/** A workspace-relative path in forward slashes, or undefined for one outside the workspace (`../x`, `/etc`, `~`). */
function workspaceRelative(path: string): string | undefined {
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  if (normal.startsWith('/') || normal.startsWith('~') || normal === '..' || normal.startsWith('../') || /^[A-Za-z]:/.test(normal)) return undefined;
  return normal.replace(/\/$/, '') || '.';
}

function defaultOpinion(risk: RiskClass): Opinion {
  return risk === 'read'
    ? { verdict: 'allow', level: 'default', reason: l10n.t('read-only calls run without asking') }
    : { verdict: 'ask', level: 'default', reason: l10n.t('it is a {0} call, and Keel asks before those unless a policy allows them on autopilot', riskLabel(risk)) };
}

/** `npm test` matches `commands.allow "npm *"` of the user policy: why a rule applies, in words. */
function matchesRule(subject: string, rule: string, level: LevelName): string {
  return l10n.t({ message: '{0} matches {1} of the {2} policy', args: [subject, rule, policyLevelLabel(level)], comment: ['{0} is a tool or command, {1} the rule as written, {2} the policy level: managed, user or workspace.'] });
}

/** The strictest opinion; of equals, the first (the higher level). */
function strictest(opinions: readonly Opinion[]): Opinion | undefined {
  return opinions.reduce<Opinion | undefined>((best, o) => (!best || STRICTNESS[o.verdict] > STRICTNESS[best.verdict] ? o : best), undefined);
}

function smallest(values: readonly (number | undefined)[]): number | undefined {
  const set = values.filter((v): v is number => v !== undefined);
  return set.length > 0 ? Math.min(...set) : undefined;
}

function hostOf(entry: string): string {
  return entry.replace(/^\[|\](:\d+)?$/g, '').replace(/:\d+$/, '');
}

function clip(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}…` : line;
}
