/**
 * What a workflow's script sees besides its `input`: `agent`, `ask`, `parallel`, `pipeline` and `budget`, with
 * `Date.now`, `new Date()` and `Math.random` served from the run's journal. Guest code, prepended to the script.
 */

/** What the host passes in beside the workflow's own input. */
export interface GuestSetup {
  /** Seeds `Math.random`; journaled at the start, so a resumed script draws the same numbers. */
  readonly seed: number;
  /** `Date.now` until the first answer arrives: the run's start time. */
  readonly clock: number;
  readonly maxAgents: number;
  readonly maxParallel: number;
}

/**
 * The script's clock moves only when an `agent()` or `ask()` answer arrives (to that answer's journaled time), and
 * `Math.random` is a seeded mulberry32: both are then the same on every replay. The raw capabilities are replaced by
 * wrappers that unwrap `{ ok, value, error, at, costUsd }` and throw a failed agent's message. Written without line
 * breaks and put on the script's first line, so the line numbers in errors are the script's own.
 */
const GUEST_API = `(function (g) {
  'use strict';
  const rawAgent = g.agent, rawAsk = g.ask, setup = g.input.setup, RealDate = g.Date;
  let clock = setup.clock, seed = setup.seed >>> 0, started = 0, spentUsd = 0;
  function seen(reply) {
    if (reply.at > clock) clock = reply.at;
    spentUsd += reply.costUsd;
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  }
  function KeelDate(...args) {
    if (!new.target) return new RealDate(clock).toString();
    return args.length === 0 ? new RealDate(clock) : new RealDate(...args);
  }
  KeelDate.prototype = RealDate.prototype;
  KeelDate.now = function now() { return clock; };
  KeelDate.parse = RealDate.parse;
  KeelDate.UTC = RealDate.UTC;
  g.Date = KeelDate;
  g.Math.random = function random() {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  g.agent = async function agent(nameOrSpec, input) {
    started++;
    return seen(await rawAgent(nameOrSpec === undefined ? null : nameOrSpec, input === undefined ? null : input));
  };
  g.ask = async function ask(question) {
    return seen(await rawAsk(question === undefined ? null : question));
  };
  g.parallel = function parallel(tasks) {
    if (!Array.isArray(tasks)) throw new TypeError('parallel() takes an array of functions (or promises), e.g. parallel([() => agent("a", x), () => agent("b", y)])');
    return Promise.all(tasks.map(function (task) { return typeof task === 'function' ? task() : task; }));
  };
  g.pipeline = async function pipeline(value, ...steps) {
    let result = await value;
    for (const step of steps) {
      if (typeof step === 'string') result = await g.agent(step, result);
      else if (typeof step === 'function') result = await step(result);
      else throw new TypeError('pipeline(value, ...steps): each step is an agent name or a function of the previous result');
    }
    return result;
  };
  g.budget = Object.freeze({
    get spentUsd() { return spentUsd; },
    get agentsLeft() { return Math.max(0, setup.maxAgents - started); },
    maxAgents: setup.maxAgents,
    maxParallel: setup.maxParallel,
  });
  g.input = g.input.input;
})(globalThis);`;

/** The guest API on one line, so that it shares the script's first line. */
const ONE_LINE = GUEST_API.replace(/\n\s*/g, ' ');

/** The code the sandbox runs for a workflow: the API, then the script as the body of an async function. */
export function workflowCode(script: string): string {
  return `${ONE_LINE} ${script}`;
}
