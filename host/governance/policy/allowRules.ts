import * as l10n from '@vscode/l10n';
import { Minimatch } from 'minimatch';
import type { AllowRule, AllowRuleProposal } from '../../../protocol/rpc';
import { redacted } from '../../observability/redaction';
import { parseCommandLine } from './commandLine';
import type { SimpleCommand, Word } from './commandWords';
import { allows, compileCommandRule, type CommandPattern } from './commandRules';
import { allowRulePath, describeAddition } from './policyEdits';
import type { CallFacts, PolicyDecision, RunPolicy } from './runPolicy';

/**
 * The narrowest rules that would let a call like this one run without asking, for "Always allow": a command line's
 * every simple command as written (`npm test`, not `npm *`), or the tool's name. None when no allow rule could lift
 * the question (a deny or ask rule decided it) or Keel cannot see through the command, with why.
 */
export async function proposeAllowRules(call: CallFacts, decision: PolicyDecision, policy: RunPolicy): Promise<AllowRuleProposal | { refused: string }> {
  if (decision.firm) return { refused: l10n.t('{0}; a deny or ask rule wins over any allow rule, so Keel offers none', decision.reason) };
  const rules = call.command === undefined ? toolRule(call.tool) : await commandRules(call.command);
  if ('refused' in rules) return rules;
  const caught = rules.map((rule) => policy.catches(rule)).find((why) => why !== undefined);
  if (caught) return { refused: l10n.t('{0}; an allow rule cannot loosen it, so Keel offers none', caught) };
  const preview = (level: 'workspace' | 'user') => describeAddition(allowRulePath(policy.documents[level], policy.agent, rules[0]!.list), rules);
  return {
    rules,
    preview: { workspace: preview('workspace'), user: preview('user') },
    // Supervised means every side effect is confirmed, allowed or not: a written rule waits for autopilot.
    ...(policy.autonomy === 'supervised'
      ? { note: l10n.t('Your runs are supervised, so Keel asks before every call with side effects, even one a rule allows: a rule written into a policy stops the asking once {0} grants {1}. For the rest of this run it stops now.', 'keel.policy', '"autonomy": "autopilot"') }
      : {}),
  };
}

function toolRule(tool: string): AllowRule[] | { refused: string } {
  // A name with glob characters would allow more than this tool.
  if (/[*?[\]{}()!+@,\s]/.test(tool)) return { refused: l10n.t('the tool name {0} has glob characters, so no rule could name only it', tool) };
  return [{ list: 'tools', pattern: tool }];
}

async function commandRules(line: string): Promise<AllowRule[] | { refused: string }> {
  const parsed = await parseCommandLine(line);
  if (parsed.opaque.length > 0) return { refused: l10n.t('Keel cannot check every part of this command ({0}), so no rule can allow it', parsed.opaque[0]!) };
  const patterns: string[] = [];
  for (const command of parsed.commands) {
    const pattern = commandPattern(command);
    if (pattern === undefined) return { refused: l10n.t('`{0}` runs a program known only when it runs, so no rule can allow it', command.source.slice(0, 80)) };
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  if (patterns.length === 0) return { refused: l10n.t('the command runs nothing a rule could name') };
  return patterns.map((pattern) => ({ list: 'commands', pattern }));
}

/**
 * A command as a pattern that matches it and as little else as the pattern syntax allows: every word as written,
 * except that a word the syntax cannot spell (spaces, a value known only when it runs, an empty word) becomes `*`,
 * and so does one that holds a secret (`TOKEN=sk-…`, a key Keel knows): a policy file is committed and shared.
 * A trailing `*` means "any further arguments", the one way such a rule is wider than the command.
 */
export function commandPattern(command: SimpleCommand): string | undefined {
  const [name, ...args] = command.words;
  if (!name || name.dynamic || !spellable(name.text)) return undefined;
  const assignments = command.assignments.map((word) => {
    const eq = word.text.indexOf('=');
    const value = word.text.slice(eq + 1);
    return `${word.text.slice(0, eq)}=${!word.dynamic && spellable(value) && !secret(word.text) && !secret(value) ? value : '*'}`;
  });
  const words = args.map((word) => (!word.dynamic && spellable(word.text) && !secret(word.text) ? word.text : '*'));
  return [...assignments, name.text, ...words].join(' ');
}

function secret(text: string): boolean {
  return redacted(text) !== text;
}

function spellable(text: string): boolean {
  return text.length > 0 && text.length <= 1024 && !/\s/.test(text);
}

/**
 * What the user allowed with "Always allow" in this run: the proposed rules, kept until the run ends. They lift only
 * questions that are not firm (no rule allowed the call, or autonomy is supervised), and a command line only when
 * every command in it is covered; deny and ask rules still win.
 */
export class RunGrants {
  private readonly tools: { pattern: string; matcher: Minimatch }[] = [];
  private readonly commands: CommandPattern[] = [];

  add(rules: readonly AllowRule[]): void {
    for (const rule of rules) {
      if (rule.list === 'tools') this.tools.push({ pattern: rule.pattern, matcher: new Minimatch(rule.pattern, { nocase: true, dot: true }) });
      else this.commands.push(compileCommandRule(rule.pattern));
    }
  }

  /** The grant that covers the call, as `commands.allow "npm test"`, or undefined. */
  async covering(call: CallFacts): Promise<string | undefined> {
    if (call.command === undefined) {
      const hit = this.tools.find(({ matcher }) => matcher.match(call.tool));
      return hit && `tools.allow "${hit.pattern}"`;
    }
    if (this.commands.length === 0) return undefined;
    const parsed = await parseCommandLine(call.command);
    if (parsed.opaque.length > 0 || parsed.commands.length === 0) return undefined;
    const hits = parsed.commands.map((command: SimpleCommand) => this.commands.find((pattern) => !isDynamicName(command.words[0]) && allows(pattern, command)));
    if (hits.some((hit) => hit === undefined)) return undefined;
    return [...new Set(hits.map((hit) => `commands.allow "${hit!.pattern}"`))].join(', ');
  }
}

function isDynamicName(word: Word | undefined): boolean {
  return word === undefined || word.dynamic;
}
