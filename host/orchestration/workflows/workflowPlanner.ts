import * as l10n from '@vscode/l10n';
import type { ChatMessage, ModelRouter } from '../../models';
import type { Span } from '../../observability/tracer';
import type { Sandbox } from '../../sandbox';
import type { AgentCatalog } from '../agents/agentDefinitions';
import { WORKFLOWS_DIR } from './workflowSource';

/** What the planning model is told a workflow is; the script it writes is shown to the user before anything runs. */
const GUIDE = [
  'You write Keel workflows: JavaScript that splits a hard goal into work for coding agents.',
  'A workflow is the body of an async function running in a sandbox with no file, shell or network access. It has only:',
  '- `await agent(name, goal)`: runs an agent on a goal (text) and returns its final answer (text); name is one of the agents listed, or null for a general coding agent that reads, edits and runs commands. A failed agent throws.',
  '- `await parallel([() => agent(...), () => agent(...)])`: runs independent agents at once and returns their answers in order. Never let two parallel agents edit the same file.',
  '- `await pipeline(value, step, ...)`: passes each result on; a step is an agent name or a function of the previous result.',
  '- `await ask(question)`: asks the user and returns their answer (text).',
  '- `input` (the goal), `budget.agentsLeft`, `console.log`.',
  'Give each agent a self-contained goal that names the files it should work on. End with `return` of a short summary.',
  'Answer with the script alone, in one ```js block.',
].join('\n');

const FENCED = /```(?:js|javascript)?\s*\n([\s\S]*?)```/;
const MAX_SCRIPT_CHARS = 100_000;

/**
 * Asks the router's `plan` model to write a workflow for a hard goal, and checks that the script parses (without
 * running it). The script goes to the user to read; it runs only once they approve it.
 */
export async function planWorkflow(request: { goal: string; router: ModelRouter; agents: AgentCatalog; sandbox: Sandbox; runId: string; span: Span; signal: AbortSignal }): Promise<{ script: string; path: string }> {
  const agents = [...request.agents.agents.values()].map((a) => `- ${a.name}: ${a.description || '(no description)'}`).join('\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: GUIDE },
    { role: 'user', content: `${request.goal}\n\nAgents defined in this workspace:\n${agents || '(none: use null)'}` },
  ];
  const response = await request.router.chat({ messages, tools: [], taskClass: 'plan', agent: 'planner', runId: request.runId, goal: request.goal }, request.signal, request.span);
  const script = (FENCED.exec(response.content)?.[1] ?? response.content).trim();
  if (script === '') throw new Error(l10n.t('The planning model answered without a script. Try again, or write the workflow yourself in {0}.', WORKFLOWS_DIR));
  if (script.length > MAX_SCRIPT_CHARS) throw new Error(l10n.t('The planning model wrote {0} characters of script, over {1}; narrow the goal.', script.length, MAX_SCRIPT_CHARS));
  // Parsed inside a function that is never called: a syntax error surfaces, nothing of the script runs.
  const parsed = await request.sandbox.execute({ code: `return 0;\nasync function planned() {\n${script}\n}`, limits: { timeoutMs: 2_000 } }, request.signal);
  if (parsed.outcome !== 'ok') {
    // The engine's own message stays as it is; only its line number is moved onto the script.
    const problem = (parsed.error ?? parsed.outcome).replace(/agent\.js:(\d+)/g, (_, line: string) => `line ${Number(line) - 2}`);
    throw new Error(l10n.t('The planning model\'s script does not parse ({0}). Try again, or fix it by hand.', problem));
  }
  return { script: `// Planned by Keel for: ${request.goal.replace(/\s+/g, ' ').slice(0, 200)}\n${script}\n`, path: `${WORKFLOWS_DIR}/${slug(request.goal)}.js` };
}

/** A file name from the goal's first words. */
function slug(goal: string): string {
  const words = goal.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').slice(0, 6).join('-');
  return words || 'planned';
}
