/**
 * Hostile guest programs, each with the outcome it must end in and what its error must say. The runner checks
 * every case for containment and then runs a normal execution on the same Sandbox. Grouped by technique; the
 * vm2 project's catalogue of escapes (docs/ATTACKS.md, test/ghsa) served as the map.
 */
import assert from 'node:assert/strict';
import type { ExecutionOutcome, ExecutionResult, SandboxCapabilities, SandboxLimits } from '../../host/sandbox';
import type { CorpusFixture } from './fixture';

export interface HostileCase {
  readonly name: string;
  readonly code: string;
  readonly limits?: Partial<SandboxLimits>;
  readonly grant?: (fixture: CorpusFixture) => SandboxCapabilities;
  readonly input?: (fixture: CorpusFixture) => unknown;
  readonly outcome: ExecutionOutcome;
  /** What the error must say; for `ok` cases, `value` or `check` says what the result must be. */
  readonly error?: RegExp;
  readonly value?: unknown;
  readonly check?: (result: ExecutionResult, fixture: CorpusFixture) => void;
  /** A reason to skip the case on this machine. */
  readonly skip?: (fixture: CorpusFixture) => string | undefined;
}

const QUICK = { timeoutMs: 300 };
const TIMEOUT = /limits\.timeoutMs = 300 ms/;
const STACK = /limits\.stackBytes = 524288 \(512 KiB\)/;
const MEMORY = /limits\.memoryBytes = 16777216 \(16 MiB\)/;
const SMALL_MEMORY = { memoryBytes: 16 * 1024 * 1024 };

const loops: HostileCase[] = [
  { name: 'a synchronous endless loop', code: 'while (true) {}', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'an endless loop that catches the interrupt', code: 'for (;;) { try { for (;;) {} } catch (e) {} }', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'an endless loop inside a promise job', code: 'await null; for (;;) {}', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  {
    name: 'an endless microtask chain',
    code: 'const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});',
    limits: { maxPendingJobs: 1000 },
    outcome: 'error',
    error: /more than limits\.maxPendingJobs = 1000 promise jobs in a row/,
  },
  {
    name: 'an endless async recursion',
    code: 'async function again() { await null; return again(); } return again();',
    limits: { maxPendingJobs: 1000 },
    outcome: 'error',
    error: /limits\.maxPendingJobs = 1000/,
  },
  { name: 'an endless loop in a getter of the return value', code: 'return { get x() { for (;;) {} } }', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'an endless loop in toJSON', code: 'return { toJSON() { for (;;) {} } }', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'an endless loop in the message getter of a thrown object', code: 'throw { get message() { for (;;) {} } }', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'an endless loop in a Proxy trap hit by console.log', code: 'console.log(new Proxy({}, { get() { for (;;) {} } }))', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'asking for host timers', code: 'setTimeout(() => {}, 0)', outcome: 'error', error: /ReferenceError: 'setTimeout' is not defined/ },
];

const recursion: HostileCase[] = [
  { name: 'endless recursion', code: 'function f() { return f() + 1; } return f();', outcome: 'stack', error: STACK },
  { name: 'recursion through a getter', code: 'const o = { get a() { return this.a; } }; return o.a;', outcome: 'stack', error: STACK },
  { name: 'recursion through toString', code: 'const o = {}; o.toString = () => "" + o; return "" + o;', outcome: 'stack', error: STACK },
  { name: 'a self-containing array joined', code: 'const a = []; a[0] = a; return a.join();', outcome: 'stack', error: STACK },
  { name: 'a chain of 100000 Proxies', code: 'let p = {}; for (let i = 0; i < 1e5; i++) p = new Proxy(p, {}); return p.x;', outcome: 'stack', error: STACK },
  { name: 'deeply nested JSON text', code: 'return JSON.parse("[".repeat(1e6) + "]".repeat(1e6));', outcome: 'stack', error: /SyntaxError: stack overflow/ },
  {
    name: 'recursion that catches every stack overflow and recurses again',
    code: 'function f() { try { return f(); } catch (e) { return f(); } } return f();',
    limits: QUICK,
    outcome: 'timeout',
    error: TIMEOUT,
  },
  { name: 'returning 100000 levels of nesting', code: 'let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; return o;', outcome: 'error', error: /The return value nests deeper than 1000 levels/ },
];

const memory: HostileCase[] = [
  { name: 'a 400 MB string', code: 'return "1".repeat(40).repeat(1e7).length;', limits: SMALL_MEMORY, outcome: 'memory', error: MEMORY },
  { name: 'an array of strings grown forever', code: 'const a = []; for (;;) a.push("x".repeat(1e4) + a.length);', limits: SMALL_MEMORY, outcome: 'memory', error: MEMORY },
  { name: 'a 1 GB ArrayBuffer', code: 'return new ArrayBuffer(1e9).byteLength;', limits: SMALL_MEMORY, outcome: 'memory', error: MEMORY },
  { name: 'a billion-element array filled', code: 'return new Array(1e9).fill(0).length;', limits: SMALL_MEMORY, outcome: 'memory', error: MEMORY },
  {
    name: 'typed arrays each under the limit, which QuickJS alone does not add up (quickjs-emscripten #271)',
    code: 'const kept = []; for (;;) kept.push(new Uint8Array(1e6));',
    limits: SMALL_MEMORY,
    outcome: 'memory',
    error: MEMORY,
  },
  {
    name: 'strings each under the limit, which QuickJS alone does not add up (quickjs-emscripten #271)',
    code: 'const kept = []; for (let i = 0; ; i++) kept.push(("x".repeat(1e5) + i).toUpperCase());',
    limits: SMALL_MEMORY,
    outcome: 'memory',
    error: MEMORY,
  },
  { name: 'a string doubled forever', code: 'let s = "x"; for (;;) s += s;', outcome: 'error', error: /InternalError: string too long/ },
  {
    name: 'a long native operation the interrupt handler cannot reach (quickjs-emscripten #219)',
    code: 'return new Array(1_000_000_000) + "";',
    limits: QUICK,
    outcome: 'timeout',
    error: /worker was terminated and replaced/,
  },
  {
    name: 'many objects allocated inside a promise job (quickjs-emscripten #269 aborts on dispose)',
    code: 'await null; const a = []; for (let i = 0; i < 200000; i++) a.push({ i }); return a.length;',
    outcome: 'ok',
    value: 200000,
  },
  { name: 'catching out-of-memory and carrying on', code: 'try { "x".repeat(2 ** 28); } catch (e) { return String(e); }', limits: SMALL_MEMORY, outcome: 'memory', error: MEMORY },
  {
    name: 'a Map filled until QuickJS throws null, caught',
    code: 'let m = new Map(); try { for (let i = 0; ; i++) m.set(i, i); } catch (e) { m = null; return String(e); }',
    limits: SMALL_MEMORY,
    outcome: 'memory',
    error: MEMORY,
  },
  { name: 'a return value over the output limit', code: 'return "x".repeat(1e6);', outcome: 'output_limit', error: /The return value is 1000002 characters as JSON, over limits\.maxOutputChars = 65536/ },
];

const regex: HostileCase[] = [
  { name: 'catastrophic backtracking on (a+)+$', code: 'return /(a+)+$/.test("a".repeat(40) + "b");', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
  { name: 'catastrophic backtracking on (x+x+)+y', code: 'return /(x+x+)+y/.test("x".repeat(5000));', limits: QUICK, outcome: 'timeout', error: TIMEOUT },
];

const stalls: HostileCase[] = [
  { name: 'awaiting a promise nothing settles', code: 'await new Promise(() => {});', outcome: 'error', error: /waiting on a promise that nothing can settle/ },
  { name: 'returning a promise nothing settles', code: 'return new Promise(() => {});', outcome: 'error', error: /nothing can settle/ },
  {
    name: 'a thenable Object.prototype that never resolves the return value',
    code: 'Object.prototype.then = function () {}; return {};',
    outcome: 'error',
    error: /nothing can settle/,
  },
  {
    name: 'awaiting a capability that never answers',
    code: 'return await readFile("hangs");',
    grant: () => ({ readFile: () => new Promise<string>(() => undefined) }),
    limits: QUICK,
    outcome: 'timeout',
    error: TIMEOUT,
  },
];

const output: HostileCase[] = [
  {
    name: 'console output forever',
    code: 'for (;;) console.log("x".repeat(100));',
    limits: { maxOutputChars: 1000 },
    outcome: 'output_limit',
    error: /Console output exceeded limits\.maxOutputChars = 1000 characters/,
    check: (result) => {
      const chars = result.logs.reduce((sum, log) => sum + log.text.length + 1, 0);
      assert.ok(chars <= 1000 + 100, `${chars} characters of logs kept`);
      assert.match(result.logs.at(-1)!.text, /…\[cut off: console output reached limits\.maxOutputChars\]$/);
    },
  },
  {
    name: 'one enormous log line',
    code: 'console.log("y".repeat(1e6)); return "finished";',
    limits: { maxOutputChars: 1000 },
    outcome: 'output_limit',
    check: (result) => assert.ok(result.logs[0]!.text.length < 1100),
  },
  { name: 'a flood of empty log lines', code: 'for (;;) console.log();', limits: { maxOutputChars: 1000 }, outcome: 'output_limit', check: (result) => assert.ok(result.logs.length <= 1001) },
];

const escapes: HostileCase[] = [
  {
    name: 'looking for host globals',
    code: `return ['process', 'require', 'module', 'exports', 'global', 'Buffer', 'setTimeout', 'setImmediate', 'queueMicrotask',
      'WebAssembly', 'Atomics', 'fetch', 'readFile', 'hostCall', 'hostLog', 'std', 'os', 'print', 'Deno', 'Bun'].filter((name) => typeof globalThis[name] !== 'undefined');`,
    outcome: 'ok',
    value: [],
  },
  { name: 'reaching process through the Function constructor', code: "return this.constructor.constructor('return process')();", outcome: 'error', error: /ReferenceError: 'process' is not defined/ },
  { name: 'reaching require through the AsyncFunction constructor', code: "return (async () => {}).constructor('return require')();", outcome: 'error', error: /ReferenceError: 'require' is not defined/ },
  {
    name: 'climbing from a caught error to the global object',
    code: "try { null.f(); } catch (e) { const g = e.constructor.constructor('return this')(); return [g === globalThis, typeof g.process, Object.keys(g).sort()]; }",
    outcome: 'ok',
    value: [true, 'undefined', ['console', 'input']],
  },
  {
    name: 'climbing from console.log and a capability to Function',
    code: "return [console.log.constructor('return typeof process')(), readFile.constructor.constructor('return typeof require')()];",
    grant: (fixture) => fixture.workspace,
    outcome: 'ok',
    value: ['undefined', 'undefined'],
  },
  {
    name: 'Error.prepareStackTrace and CallSite getThis/getFunction',
    code: "Error.prepareStackTrace = (e, sites) => sites.map((s) => s.getThis()); Error.stackTraceLimit = Infinity; const stack = new Error('x').stack; return [typeof stack, typeof Error.captureStackTrace];",
    outcome: 'ok',
    value: ['string', 'undefined'],
  },
  {
    name: 'reading a capability error stack for host frames',
    code: "try { await readFile('../outside/secret.txt'); } catch (e) { return { own: Object.getOwnPropertyNames(e).sort(), stack: e.stack }; }",
    grant: (fixture) => fixture.workspace,
    outcome: 'ok',
    check: (result) => {
      const value = result.value as { own: string[]; stack: string };
      assert.deepEqual(value.own, ['message', 'stack']);
      assert.doesNotMatch(value.stack, /node:|host\/sandbox|\.ts:/);
    },
  },
  {
    name: 'a custom inspect symbol on the returned value',
    code: "return { a: 1, [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('inspected by the host'); }, [Symbol.toPrimitive]() { throw new Error('converted by the host'); } };",
    outcome: 'ok',
    check: (result) => {
      assert.deepEqual(result.value, { a: 1 });
      assert.deepEqual(Object.getOwnPropertySymbols(result.value), []);
    },
  },
  { name: 'returning a function', code: 'return { run: () => 1 };', outcome: 'error', error: /The return value holds a function at key "run"/ },
  { name: 'returning a symbol', code: "return Symbol('s');", outcome: 'error', error: /The return value holds a symbol/ },
  { name: 'returning a BigInt', code: 'return { n: 10n };', outcome: 'error', error: /holds a bigint at key "n"/ },
  { name: 'returning a Map', code: 'return new Map([[1, 2]]);', outcome: 'error', error: /holds a Map or Set; convert it with Object\.fromEntries\(\)/ },
  { name: 'returning a cycle', code: 'const a = { b: {} }; a.b.a = a; return a;', outcome: 'error', error: /contains a cycle/ },
  { name: 'returning a Proxy whose traps throw', code: "return new Proxy({}, { ownKeys() { throw new Error('ownKeys trap'); }, get() { throw new Error('get trap'); } });", outcome: 'error', error: /Error: (ownKeys|get) trap/ },
  { name: 'returning an object with a throwing getter', code: "return { get x() { throw new Error('getter boom'); } };", outcome: 'error', error: /Error: getter boom/ },
  { name: 'returning an object whose toJSON throws', code: "return { toJSON() { throw new TypeError('toJSON boom'); } };", outcome: 'error', error: /TypeError: toJSON boom/ },
  { name: 'throwing a Proxy', code: "throw new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } });", outcome: 'error', error: /^Uncaught/ },
  { name: 'throwing a non-error value', code: 'throw 42;', outcome: 'error', error: /^Uncaught 42$/ },
  {
    name: 'hijacking then and the species of promises a capability returns',
    code: `const pending = readFile('src/app.ts');
      Object.defineProperty(pending, 'constructor', { get() { throw new Error('species probed by the host'); } });
      Promise.prototype.then = function () { throw new Error('then called by the host'); };
      return 'hijacked';`,
    grant: (fixture) => fixture.workspace,
    outcome: 'ok',
    value: 'hijacked',
  },
  {
    name: 'a thenable Object.prototype while awaiting a capability',
    code: "Object.prototype.then = function (resolve) { resolve('hijacked'); }; const text = await readFile('src/app.ts'); delete Object.prototype.then; return text;",
    grant: (fixture) => fixture.workspace,
    outcome: 'ok',
    value: 'export const app = 1;',
  },
  {
    name: 'polluting prototypes of injected objects and returning __proto__',
    code: `input.__proto__.polluted = 'input'; Object.prototype.polluted = 'object'; console.__proto__.polluted = 'console';
      Array.prototype.polluted = 'array'; return JSON.parse('{"__proto__": {"polluted": "returned"}, "ok": true}');`,
    input: () => ({ n: 1 }),
    outcome: 'ok',
    check: (result) => {
      const value = result.value as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.ok(Object.hasOwn(value, '__proto__'));
      assert.equal(value.ok, true);
    },
  },
  {
    name: 'polluting prototypes through capability arguments',
    code: `const headers = JSON.parse('{"__proto__": {"x-injected": "1"}, "x-real": "2"}');
      return (await fetch('https://example.com/', { headers })).body;`,
    grant: (fixture) => fixture.recordingFetch,
    outcome: 'ok',
    value: 'recorded',
    check: (_result, fixture) => {
      const headers = fixture.lastInit!.headers!;
      assert.equal(Object.getPrototypeOf(headers), Object.prototype);
      assert.deepEqual(Object.keys(headers), ['x-real']);
      assert.equal((headers as Record<string, unknown>)['x-injected'], undefined);
    },
  },
  {
    name: 'a Proxy passed to a capability',
    code: "return await fetch('https://example.com/', new Proxy({}, { get() { throw new Error('proxy trap in the guest'); } }));",
    grant: (fixture) => fixture.recordingFetch,
    outcome: 'error',
    error: /Error: proxy trap in the guest/,
  },
  {
    name: 'a getter and a function passed to a capability',
    code: "return await fetch('https://example.com/', { get method() { return () => 'GET'; } });",
    grant: (fixture) => fixture.recordingFetch,
    outcome: 'error',
    error: /Argument 2 of fetch\(\) holds a function at key "method"/,
  },
  {
    name: 'a non-string path',
    code: "return await readFile(['src/app.ts']);",
    grant: (fixture) => fixture.workspace,
    outcome: 'error',
    error: /Invalid arguments: readFile\(path\) takes one string/,
  },
  {
    name: 'oversized capability arguments',
    code: "return await readFile('x'.repeat(2e6));",
    grant: (fixture) => fixture.workspace,
    outcome: 'error',
    error: /RangeError: Argument 1 of readFile\(\) is 2000002 characters as JSON, over the limit of 1000000/,
  },
  {
    name: 'a flood of capability calls',
    code: "const calls = []; for (let i = 0; i < 1500; i++) calls.push(readFile('src/app.ts').then(() => 'ok', (e) => e.message)); const results = await Promise.all(calls); return results.filter((r) => /Too many capability calls are waiting \\(1000\\)/.test(r)).length;",
    grant: (fixture) => fixture.workspace,
    outcome: 'ok',
    value: 500,
  },
];

const refused = (message: RegExp) => ({ outcome: 'error' as const, error: message });
const OUTSIDE = /is outside the workspace; only files inside the workspace can be used/;
const IGNORED = /is excluded by \.gitignore or \.keelignore( \(it is [^)]*\))?, so Keel does not read it|is inside \.git, which Keel never reads/;
const NOT_ALLOWED = /fetch refused: .* is not an allowed host/;

const workspace: HostileCase[] = [
  { name: 'readFile with ../ traversal', code: "return await readFile('../outside/secret.txt');", grant: (f) => f.workspace, ...refused(OUTSIDE) },
  { name: 'readFile of an absolute path', code: "return await readFile('/etc/passwd');", grant: (f) => f.workspace, ...refused(OUTSIDE) },
  { name: 'readFile through a symlink to a file outside', code: "return await readFile('secret-link.txt');", grant: (f) => f.workspace, ...refused(OUTSIDE) },
  { name: 'readFile through a symlinked directory outside', code: "return await readFile('outside-dir/secret.txt');", grant: (f) => f.workspace, ...refused(OUTSIDE) },
  { name: 'readFile of a .gitignored secret', code: "return await readFile('.env');", grant: (f) => f.workspace, ...refused(IGNORED) },
  { name: 'readFile of a .gitignored secret through a symlink', code: "return await readFile('env-link.txt');", grant: (f) => f.workspace, ...refused(IGNORED) },
  { name: 'readFile of a .keelignored file', code: "return await readFile('src/../private/notes.md');", grant: (f) => f.workspace, ...refused(IGNORED) },
  { name: 'readFile of git internals', code: "return await readFile('.git/config');", grant: (f) => f.workspace, ...refused(IGNORED) },
  {
    name: 'listFiles over everything',
    code: "return await listFiles('**');",
    grant: (f) => f.workspace,
    outcome: 'ok',
    value: ['.gitignore', '.keelignore', 'src/app.ts'],
  },
  { name: 'listFiles with a glob leading out', code: "return await listFiles('../**');", grant: (f) => f.workspace, ...refused(/listFiles takes a glob relative to the workspace root/) },
];

const network: HostileCase[] = [
  {
    name: 'fetch from the allowed host',
    code: 'return (await fetch(input.base + "/hello")).body;',
    grant: (f) => f.fetch,
    input: (f) => ({ base: `http://127.0.0.1:${f.allowed.port}` }),
    outcome: 'ok',
    value: 'hello from the allowed host',
  },
  ...['http://localhost:ALLOWED/hello', 'http://127.0.0.1:UNLISTED/', 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:ALLOWED/hello'].map(
    (url): HostileCase => ({
      name: `fetch to ${url.replace('ALLOWED', 'PORT').replace('UNLISTED', 'OTHER_PORT')}`,
      code: 'return await fetch(input.url);',
      grant: (f) => f.fetch,
      input: (f) => ({ url: url.replace('ALLOWED', String(f.allowed.port)).replace('UNLISTED', String(f.unlisted.port)) }),
      ...refused(NOT_ALLOWED),
    }),
  ),
  {
    name: 'fetch to a listed name that resolves to loopback',
    code: 'return await fetch(input.url);',
    grant: (f) => f.fetch,
    input: (f) => ({ url: `http://${f.loopbackName}:${f.allowed.port}/hello` }),
    skip: (f) => (f.loopbackName ? undefined : "this machine's name does not resolve to a private address"),
    ...refused(/resolves to .*, a loopback, private or link-local address/),
  },
  {
    name: 'a redirect from the allowed host to an unlisted port',
    code: 'return await fetch(input.url);',
    grant: (f) => f.fetch,
    input: (f) => ({ url: `http://127.0.0.1:${f.allowed.port}/to-unlisted` }),
    ...refused(/is not an allowed host; http:\/\/127\.0\.0\.1:\d+\/to-unlisted redirected there/),
    check: (_result, f) => assert.equal(f.unlisted.hits(), 0),
  },
  {
    name: 'a redirect from the allowed host to cloud metadata',
    code: 'return await fetch(input.url);',
    grant: (f) => f.fetch,
    input: (f) => ({ url: `http://127.0.0.1:${f.allowed.port}/to-metadata` }),
    ...refused(/169\.254\.169\.254 is not an allowed host/),
  },
  {
    name: 'a redirect from the allowed host to localhost',
    code: 'return await fetch(input.url);',
    grant: (f) => f.fetch,
    input: (f) => ({ url: `http://127.0.0.1:${f.allowed.port}/to-localhost` }),
    ...refused(/localhost:\d+ is not an allowed host/),
  },
  { name: 'fetch of a file URL', code: "return await fetch('file:///etc/passwd');", grant: (f) => f.fetch, ...refused(/only http and https URLs/) },
];

export const CORPUS: readonly { readonly group: string; readonly cases: readonly HostileCase[] }[] = [
  { group: 'endless loops', cases: loops },
  { group: 'recursion', cases: recursion },
  { group: 'memory bombs', cases: memory },
  { group: 'regular expressions', cases: regex },
  { group: 'promises that never settle', cases: stalls },
  { group: 'console floods', cases: output },
  { group: 'escapes and boundary tricks', cases: escapes },
  { group: 'workspace confinement', cases: workspace },
  { group: 'network confinement', cases: network },
];
