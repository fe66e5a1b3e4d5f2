/**
 * Marshalling between the worker and a guest realm. Values leave the guest only as JSON text or primitives read
 * through quickjs-emscripten, and enter it only as JSON text parsed there, so no live object, function or
 * promise crosses either way. Guest tampering (patched prototypes, Proxies, getters, `toJSON`) can only change
 * what the guest itself receives or returns: the host only ever reads strings and numbers.
 */
import * as l10n from '@vscode/l10n';
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { LogLevel } from './types';

/** The JSON text of one capability argument may be at most this long. */
const MAX_ARGUMENT_CHARS = 1_000_000;
/** The helpers cut a described error at 4000 characters and add an ellipsis. */
const MAX_DESCRIPTION_CHARS = 4001;
const LOG_LEVELS: readonly LogLevel[] = ['log', 'info', 'warn', 'error'];

/** Built-ins the helpers use, taken before any agent code runs so that replacing a global cannot affect them. */
const INTRINSICS = '[JSON.stringify, JSON.parse, Error, Map, Set, WeakMap, WeakSet, Promise, String, Object.prototype.toString, String.prototype.slice]';
const PARSE = 1;
const SLICE = 10;

/**
 * Guest-side helpers for what is awkward through handles: copying objects out with clear errors, showing a
 * logged value, describing a thrown one. Compiling them costs more than a small execution, so a realm compiles
 * them only when it first needs one; plain strings and numbers never do.
 */
const HELPERS = `(function (intrinsics) {
  'use strict';
  const stringify = intrinsics[0], GuestError = intrinsics[2], GuestMap = intrinsics[3], GuestSet = intrinsics[4];
  const GuestWeakMap = intrinsics[5], GuestWeakSet = intrinsics[6], GuestPromise = intrinsics[7], GuestString = intrinsics[8];
  const objectToString = intrinsics[9];
  const MAX_DEPTH = 1000, MAX_ERROR_CHARS = 4000;

  function where(key) { return key === '' ? '' : ' at key ' + stringify(GuestString(key)); }

  // JSON text of a value, its length when longer than limit, or a TypeError/RangeError saying what cannot be copied.
  function toJson(value, what, limit) {
    const depths = new GuestMap();
    let json;
    try {
      json = stringify(value, function (key, v) {
        const type = typeof v;
        if (type === 'function' || type === 'symbol' || type === 'bigint') {
          throw new TypeError(what + ' holds a ' + type + where(key) + '; only JSON-like data (plain objects, arrays, strings, numbers, booleans, null) can leave the sandbox.');
        }
        if (type === 'object' && v !== null) {
          const depth = (depths.get(this) || 0) + 1;
          if (depth > MAX_DEPTH) throw new RangeError(what + ' nests deeper than ' + MAX_DEPTH + ' levels; return flatter data.');
          depths.set(v, depth);
          if (v instanceof GuestMap || v instanceof GuestSet || v instanceof GuestWeakMap || v instanceof GuestWeakSet) {
            throw new TypeError(what + ' holds a Map or Set' + where(key) + '; convert it with Object.fromEntries() or Array.from() first.');
          }
          if (v instanceof GuestPromise) throw new TypeError(what + ' holds a Promise' + where(key) + '; await it first.');
        }
        return v;
      });
    } catch (error) {
      if (error instanceof TypeError && /circular/.test(error.message)) {
        throw new TypeError(what + ' contains a cycle (an object that refers to itself); only tree-shaped data can leave the sandbox.');
      }
      throw error;
    }
    return json !== undefined && json.length > limit ? json.length : json;
  }

  function show(value) {
    if (typeof value === 'string') return value;
    try {
      if (value instanceof GuestError) return value.name + ': ' + value.message;
      const json = stringify(value);
      if (json !== undefined) return json;
    } catch (_) { /* Not JSON-like: fall back to String(). */ }
    try { return GuestString(value); } catch (_) { return objectToString.call(value); }
  }

  function describe(error) {
    let text;
    try {
      if (error instanceof GuestError) {
        const stack = typeof error.stack === 'string' ? error.stack.split('\\n').filter(function (line) { return line.indexOf('keel-helpers') === -1; }).join('\\n').trimEnd() : '';
        text = GuestString(error.name) + ': ' + GuestString(error.message) + (stack ? '\\n' + stack : '');
      } else {
        text = 'Uncaught ' + show(error);
      }
    } catch (_) {
      text = 'Uncaught exception that could not be described';
    }
    return text.length > MAX_ERROR_CHARS ? text.slice(0, MAX_ERROR_CHARS) + '…' : text;
  }

  return [toJson, show, describe];
})`;
const TO_JSON = 0;
const SHOW = 1;
const DESCRIBE = 2;
type Helper = typeof TO_JSON | typeof SHOW | typeof DESCRIBE;

export interface GuestHooks {
  log(level: LogLevel, text: string): void;
  /** Starts a capability call: the handle of the promise the guest awaits, or a message to throw in the guest. */
  call(name: string, argsJson: string): QuickJSHandle | string;
}

export interface GuestSetup {
  readonly capabilities: readonly string[];
  readonly inputJson: string | undefined;
  readonly maxOutputChars: number;
}

export type Copied = { readonly json: string | undefined } | { readonly tooLong: number } | { readonly error: QuickJSHandle };

/**
 * A fresh QuickJS runtime and context for exactly one execution, with `console` installed and the built-ins
 * the host relies on captured. Workers build these ahead of time; each is still new and untouched when the
 * agent's code starts.
 */
export class GuestRealm {
  readonly context: QuickJSContext;
  private hooks: GuestHooks | undefined;
  private maxLogChars = 0;
  private readonly intrinsics: QuickJSHandle;
  private helpers: QuickJSHandle | undefined;

  /** Throws a host Error if QuickJS cannot build the context. */
  constructor(readonly module: QuickJSWASMModule) {
    const context = (this.context = module.newContext());
    try {
      this.intrinsics = context.unwrapResult(context.evalCode(INTRINSICS, 'keel-intrinsics.js', { type: 'global' }));
      const console = context.newObject();
      for (const level of LOG_LEVELS) {
        context.newFunction(level, (...args) => this.log(level, args)).consume((fn) => context.setProp(console, level, fn));
      }
      context.setProp(context.global, 'console', console);
      console.dispose();
    } catch (error) {
      context.dispose();
      throw error;
    }
  }

  /** Gives the agent its globals, `input` and the granted capabilities, and routes its calls to `hooks`. */
  enter(setup: GuestSetup, hooks: GuestHooks): void {
    this.hooks = hooks;
    this.maxLogChars = setup.maxOutputChars;
    const { context } = this;
    for (const name of setup.capabilities) {
      context.newFunction(name, (...args) => this.callCapability(name, args)).consume((fn) => context.setProp(context.global, name, fn));
    }
    if (setup.inputJson === undefined) {
      context.setProp(context.global, 'input', context.undefined);
    } else {
      const input = this.fromJson(setup.inputJson);
      if ('error' in input) {
        input.error.dispose();
        throw new Error(l10n.t('The input could not be parsed inside the sandbox.'));
      }
      input.value.consume((value) => context.setProp(context.global, 'input', value));
    }
  }

  /**
   * Compiles the code as the body of an async function and calls it: its promise, or what it threw. The wrapper
   * shares the code's first line, so line numbers in the guest's errors are the agent's own.
   */
  start(code: string): { readonly promise: QuickJSHandle } | { readonly error: QuickJSHandle } {
    const { context } = this;
    const compiled = context.evalCode(`(async function () {${code}\n})`, 'agent.js', { type: 'global' });
    if (compiled.error) return { error: compiled.error };
    try {
      const result = context.callFunction(compiled.value, context.undefined);
      return result.error ? { error: result.error } : { promise: result.value };
    } finally {
      compiled.value.dispose();
    }
  }

  /** Parses JSON text inside the guest: the new guest value, or the error parsing threw. */
  fromJson(json: string): { readonly value: QuickJSHandle } | { readonly error: QuickJSHandle } {
    const { context } = this;
    const text = context.newString(json);
    try {
      const parse = context.getProp(this.intrinsics, PARSE);
      try {
        const result = context.callFunction(parse, context.undefined, text);
        return result.error ? { error: result.error } : { value: result.value };
      } finally {
        parse.dispose();
      }
    } finally {
      text.dispose();
    }
  }

  /** Copies a guest value out as JSON text (undefined stays undefined), or says why it cannot be copied. */
  copyOut(value: QuickJSHandle, what: string, limit: number): Copied {
    const { context } = this;
    let json: string | undefined;
    switch (context.typeof(value)) {
      case 'undefined':
        return { json: undefined };
      case 'string': {
        const text = this.readString(value, limit);
        if (text.length > limit) return { tooLong: this.lengthOf(value) + 2 };
        json = JSON.stringify(text);
        break;
      }
      case 'number':
        json = JSON.stringify(context.getNumber(value));
        break;
      case 'boolean':
        json = String(context.dump(value) === true);
        break;
      default:
        if (context.sameValue(value, context.null)) return { json: 'null' };
        return this.copyOutInGuest(value, what, limit);
    }
    return json.length > limit ? { tooLong: json.length } : { json };
  }

  /** "Name: message" and the guest stack of a thrown value, or a fallback when describing it fails too. */
  describe(error: QuickJSHandle): string {
    return this.callHelper(DESCRIBE, [error], MAX_DESCRIPTION_CHARS) ?? l10n.t('Uncaught exception that could not be described');
  }

  /** Frees the runtime. False if QuickJS aborted while freeing it, which leaves its WebAssembly instance unusable. */
  dispose(): boolean {
    try {
      for (const handle of [this.intrinsics, this.helpers]) if (handle?.alive) handle.dispose();
      this.context.dispose();
      return true;
    } catch {
      return false;
    }
  }

  private copyOutInGuest(value: QuickJSHandle, what: string, limit: number): Copied {
    const { context } = this;
    const helper = this.helper(TO_JSON);
    if ('error' in helper) return helper;
    const args = [value, context.newString(what), context.newNumber(limit)];
    try {
      const result = context.callFunction(helper.fn, context.undefined, args);
      if (result.error) return { error: result.error };
      return result.value.consume((copied) => {
        const type = context.typeof(copied);
        if (type === 'number') return { tooLong: context.getNumber(copied) };
        if (type !== 'string') return { json: undefined };
        const json = this.readString(copied, limit);
        return json.length > limit ? { tooLong: this.lengthOf(copied) } : { json };
      });
    } finally {
      helper.fn.dispose();
      args[1]!.dispose();
      args[2]!.dispose();
    }
  }

  /** Calls a helper that returns a string, read up to `maxChars`; undefined if it throws or returns anything else. */
  private callHelper(which: Helper, args: QuickJSHandle[], maxChars: number): string | undefined {
    const { context } = this;
    const helper = this.helper(which);
    if ('error' in helper) {
      helper.error.dispose();
      return undefined;
    }
    const result = context.callFunction(helper.fn, context.undefined, args);
    helper.fn.dispose();
    if (result.error) {
      result.error.dispose();
      return undefined;
    }
    return result.value.consume((text) => (context.typeof(text) === 'string' ? this.readString(text, maxChars) : undefined));
  }

  /**
   * A guest string, cut after `maxChars + 1` characters inside the guest, so that a huge one is never copied
   * whole into the worker's heap; a result longer than `maxChars` tells the caller it was cut.
   */
  private readString(text: QuickJSHandle, maxChars: number): string {
    const { context } = this;
    if (this.lengthOf(text) <= maxChars) return context.getString(text);
    const slice = context.getProp(this.intrinsics, SLICE);
    const [start, end] = [context.newNumber(0), context.newNumber(maxChars + 1)];
    try {
      const cut = context.callFunction(slice, text, start, end);
      if (cut.error) {
        cut.error.dispose();
        return '';
      }
      return cut.value.consume((handle) => context.getString(handle));
    } finally {
      for (const handle of [slice, start, end]) handle.dispose();
    }
  }

  private lengthOf(text: QuickJSHandle): number {
    return this.context.getProp(text, 'length').consume((length) => this.context.getNumber(length));
  }

  /** One helper function, compiling the helpers on first use; or what compiling them threw (a limit, usually). */
  private helper(which: Helper): { readonly fn: QuickJSHandle } | { readonly error: QuickJSHandle } {
    const { context } = this;
    if (!this.helpers) {
      const compiled = context.evalCode(HELPERS, 'keel-helpers.js', { type: 'global', strict: true });
      if (compiled.error) return { error: compiled.error };
      const made = compiled.value.consume((factory) => context.callFunction(factory, context.undefined, this.intrinsics));
      if (made.error) return { error: made.error };
      this.helpers = made.value;
    }
    return { fn: context.getProp(this.helpers, which) };
  }

  private log(level: LogLevel, args: QuickJSHandle[]): void {
    const { context } = this;
    let text = '';
    for (let i = 0; i < args.length && text.length <= this.maxLogChars; i++) {
      const arg = args[i]!;
      const room = this.maxLogChars - text.length;
      const shown = context.typeof(arg) === 'string' ? this.readString(arg, room) : (this.callHelper(SHOW, [arg], room) ?? '[unprintable]');
      text += (i ? ' ' : '') + shown;
    }
    this.hooks?.log(level, text.length > this.maxLogChars ? text.slice(0, this.maxLogChars + 1) : text);
  }

  /**
   * A capability as the guest sees it: each argument is copied out as JSON, and the call returns a promise.
   * Nothing here throws a host error into the guest, since quickjs-emscripten would copy the host error's
   * stack (host file paths) in with it; failures become rejected promises carrying a guest error.
   */
  private callCapability(name: string, args: QuickJSHandle[]): QuickJSHandle {
    const { context } = this;
    const parts: string[] = [];
    for (const [index, arg] of args.entries()) {
      const what = `Argument ${index + 1} of ${name}()`;
      const copied = this.copyOut(arg, what, MAX_ARGUMENT_CHARS);
      if ('error' in copied) return this.rejected(copied.error);
      if ('tooLong' in copied) return this.rejected(context.newError({ name: 'RangeError', message: l10n.t('Argument {0} of {1}() is {2} characters as JSON, over the limit of {3}.', index + 1, name, copied.tooLong, MAX_ARGUMENT_CHARS) }));
      parts.push(copied.json ?? 'null');
    }
    let started: QuickJSHandle | string;
    try {
      started = this.hooks ? this.hooks.call(name, `[${parts.join(',')}]`) : l10n.t('{0} is not available yet.', name);
    } catch {
      started = l10n.t('{0} failed inside the sandbox host.', name);
    }
    return typeof started === 'string' ? this.rejected(context.newError(started)) : started;
  }

  private rejected(error: QuickJSHandle): QuickJSHandle {
    const deferred = this.context.newPromise();
    deferred.reject(error);
    error.dispose();
    return deferred.handle;
  }
}
