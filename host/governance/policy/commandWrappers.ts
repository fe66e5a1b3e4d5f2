import * as l10n from '@vscode/l10n';
import type { SimpleCommand, Word } from './commandWords';

/** What a command runs besides itself. */
export interface InnerCommands {
  /** Commands it runs, delimited exactly: each must be allowed for the line to be. */
  readonly commands: readonly SimpleCommand[];
  /** Commands it may run, where Keel is not sure where they start: checked against deny and ask rules only. */
  readonly probes: readonly SimpleCommand[];
  /** Shell text it runs (`sh -c '…'`, `eval …`, `watch '…'`), to be parsed in turn. */
  readonly scripts: readonly string[];
  readonly opaque: readonly string[];
}

/**
 * Programs that run another command given as their arguments, with the options that take a value (so the command
 * is found after them) and how many plain arguments come before it (`timeout 5 cmd`, `chroot /root cmd`).
 */
interface Wrapper {
  readonly valueOptions?: readonly string[];
  readonly positionals?: number;
  /** The option whose value is shell text (`su -c '…'`, `env -S '…'`). */
  readonly scriptOption?: string;
  /** Words like `NAME=value` before the command are settings, not the command (`env`). */
  readonly skipsAssignments?: boolean;
  /** The input becomes more arguments (`xargs`): the command gets a word nobody can see. */
  readonly appendsInput?: boolean;
  /** Without a command it runs a shell (`su`, `sudo -s`); unseen commands, so the line asks. */
  readonly shellWithoutCommand?: boolean;
}

const WRAPPERS: Readonly<Record<string, Wrapper>> = {
  sudo: { valueOptions: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group', '--chdir', '--host', '--prompt', '--role', '--type', '--other-user', '--close-from', '--command-timeout'], shellWithoutCommand: true },
  doas: { valueOptions: ['-u', '-C'], shellWithoutCommand: true },
  env: { valueOptions: ['-u', '--unset', '-C', '--chdir'], scriptOption: '-S', skipsAssignments: true },
  command: {},
  builtin: {},
  exec: { valueOptions: ['-a'] },
  nohup: {},
  setsid: {},
  time: { valueOptions: ['-f', '--format', '-o', '--output'] },
  nice: { valueOptions: ['-n', '--adjustment'] },
  ionice: { valueOptions: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '--pgid', '-u', '--uid'] },
  timeout: { valueOptions: ['-s', '--signal', '-k', '--kill-after'], positionals: 1 },
  stdbuf: { valueOptions: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  chrt: { positionals: 1 },
  taskset: { positionals: 1 },
  flock: { valueOptions: ['-w', '--timeout', '-E', '--conflict-exit-code'], positionals: 1, scriptOption: '-c' },
  chroot: { valueOptions: ['--userspec', '--groups'], positionals: 1 },
  strace: { valueOptions: ['-e', '-o', '-p', '-s', '-u', '-a', '-E', '-P', '-S', '-X', '-b', '-I'] },
  ltrace: { valueOptions: ['-e', '-o', '-p', '-s', '-u', '-a', '-n', '-A', '-D', '-F', '-l', '-x', '-w'] },
  unbuffer: {},
  nsenter: { valueOptions: ['-t', '--target', '-S', '--setuid', '-G', '--setgid', '-r', '-w'] },
  unshare: { valueOptions: ['--map-user', '--map-group', '--setgroups', '--propagation', '-R', '--root', '-w', '--wd', '-S', '--setuid', '-G', '--setgid'] },
  runuser: { valueOptions: ['-u', '-g', '-G', '--user', '--group', '--supp-group', '-s', '--shell'], positionals: 0, scriptOption: '-c', shellWithoutCommand: true },
  su: { valueOptions: ['-g', '-G', '--group', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'], scriptOption: '-c', shellWithoutCommand: true },
  script: { valueOptions: ['-E', '--echo', '-I', '--log-in', '-O', '--log-out', '-B', '--log-io', '-T', '--log-timing', '-m', '--logging-format'], scriptOption: '-c' },
  xargs: { valueOptions: ['-I', '-i', '-n', '-P', '-L', '-l', '-d', '-E', '-e', '-s', '-a', '--max-args', '--max-procs', '--max-lines', '--delimiter', '--eof', '--max-chars', '--arg-file', '--replace', '--process-slot-var'], appendsInput: true },
  'systemd-run': { valueOptions: ['-p', '--property', '-u', '--unit', '-E', '--setenv', '-M', '--machine', '--slice', '--description', '--working-directory', '--uid', '--gid', '--nice'] },
  firejail: {},
  torsocks: {},
  proxychains: { valueOptions: ['-f'] },
  proxychains4: { valueOptions: ['-f'] },
  caffeinate: { valueOptions: ['-t', '-w'] },
  busybox: {},
};

/** Shells: `-c` runs its argument as shell text; with neither `-c` nor a script file they run their input. */
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish', 'csh', 'tcsh', 'yash', 'posh']);
const SHELL_VALUE_OPTIONS: ReadonlySet<string> = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

/** `find -exec cmd {} ;` and its kin. */
const FIND_ACTIONS: ReadonlySet<string> = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/** `sudo env nice timeout 5 cmd` is unwrapped this many levels deep; deeper asks. */
const MAX_UNWRAP = 8;
/** Later words are not probed as possible commands: a wrapper's options and arguments come first. */
const MAX_PROBED_WORDS = 32;

/** A word the shell passes but nobody can read in advance: what xargs appends, what `{}` becomes. */
const UNSEEN: Word = { text: '…', dynamic: true };

export function innerCommands(command: SimpleCommand): InnerCommands {
  const found = { commands: [] as SimpleCommand[], probes: [] as SimpleCommand[], scripts: [] as string[], opaque: [] as string[] };
  unwrap(command.words, found, 0);
  return found;
}

function unwrap(words: readonly Word[], found: { commands: SimpleCommand[]; probes: SimpleCommand[]; scripts: string[]; opaque: string[] }, depth: number): void {
  const head = words[0];
  if (!head || head.dynamic) return;
  if (depth > MAX_UNWRAP) return void found.opaque.push(l10n.t('commands are wrapped more than {0} deep', MAX_UNWRAP));
  const name = basename(head.text);
  if (SHELLS.has(name)) return shell(words, found);
  if (name === 'eval') return runText(words.slice(1), 'eval', found);
  if (name === 'watch') return runText(words.slice(skipOptions(words, { valueOptions: ['-n', '--interval', '-d', '--differences'] }).start), 'watch', found);
  if (name === 'find') return findActions(words, found, depth);
  const wrapper = WRAPPERS[name];
  if (!wrapper) return;
  const { start, script, uncertain } = skipOptions(words, wrapper);
  if (script) {
    if (script.dynamic) found.opaque.push(l10n.t('`{0}` runs shell text Keel cannot see ({1})', name, script.text));
    else found.scripts.push(script.text);
  }
  const inner = words.slice(start);
  // Where the options might be read wrongly, every later word that could be a command name is checked too.
  for (let i = 1; i < Math.min(words.length, MAX_PROBED_WORDS); i++) {
    if (i !== start && !words[i]!.dynamic && !words[i]!.text.startsWith('-')) found.probes.push(commandOf(words.slice(i)));
  }
  if (inner.length === 0) {
    if (wrapper.shellWithoutCommand && !script) found.opaque.push(l10n.t('`{0}` without a command starts a shell', name));
    return;
  }
  if (uncertain) found.opaque.push(l10n.t('`{0}` has an option Keel does not know, so where its command starts is uncertain', words.map((w) => w.text).join(' ')));
  const complete = wrapper.appendsInput ? [...inner, UNSEEN] : inner;
  found.commands.push(commandOf(complete));
  unwrap(complete, found, depth + 1);
}

function shell(words: readonly Word[], found: { commands: SimpleCommand[]; scripts: string[]; opaque: string[] }): void {
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word.dynamic) return void found.opaque.push(l10n.t('`{0}` is given {1}, which Keel cannot see', words[0]!.text, word.text));
    if (word.text === '--') break;
    if (SHELL_VALUE_OPTIONS.has(word.text)) {
      i++;
      continue;
    }
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(word.text)) {
      const script = words[i + 1];
      if (!script || script.dynamic) return void found.opaque.push(l10n.t('`{0}` runs shell text Keel cannot see', `${words[0]!.text} -c`));
      found.scripts.push(script.text);
      return;
    }
    if (/^[-+]/.test(word.text)) continue;
    // A script file: the command as written is what the rules judge.
    return;
  }
  found.opaque.push(l10n.t('`{0}` runs the commands of its input, which Keel cannot see', words[0]!.text));
}

function runText(words: readonly Word[], name: string, found: { scripts: string[]; opaque: string[] }): void {
  if (words.length === 0) return;
  if (words.some((w) => w.dynamic)) return void found.opaque.push(l10n.t('`{0}` runs shell text Keel cannot see', name));
  found.scripts.push(words.map((w) => w.text).join(' '));
}

function findActions(words: readonly Word[], found: { commands: SimpleCommand[]; probes: SimpleCommand[]; scripts: string[]; opaque: string[] }, depth: number): void {
  for (let i = 1; i < words.length; i++) {
    if (words[i]!.dynamic || !FIND_ACTIONS.has(words[i]!.text)) continue;
    const end = words.findIndex((w, j) => j > i && (w.text === ';' || w.text === '+'));
    const action = words.slice(i + 1, end === -1 ? undefined : end).map((w) => (w.text === '{}' ? UNSEEN : w));
    if (action.length === 0) continue;
    found.commands.push(commandOf(action));
    unwrap(action, found, depth + 1);
    if (end === -1) break;
    i = end;
  }
}

/** Where a wrapper's command starts, past its options (and their values) and its plain arguments. */
function skipOptions(words: readonly Word[], wrapper: Wrapper): { start: number; script?: Word; uncertain: boolean } {
  let positionals = wrapper.positionals ?? 0;
  let uncertain = false;
  let script: Word | undefined;
  let i = 1;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word.dynamic) {
      // `sudo $FLAGS rm`: whether it is an option or the command, nobody knows until it runs.
      if (positionals === 0) break;
      uncertain = true;
      positionals--;
      continue;
    }
    const text = word.text;
    if (text === '--') {
      i++;
      break;
    }
    if (wrapper.scriptOption && (text === wrapper.scriptOption || text.startsWith(`${wrapper.scriptOption}=`) || (text === '--split-string' && wrapper.scriptOption === '-S') || (text === '--command' && wrapper.scriptOption === '-c'))) {
      if (text.includes('=')) script = { text: text.slice(text.indexOf('=') + 1), dynamic: false };
      else script = words[++i] ?? { text: '', dynamic: true };
      continue;
    }
    if (text.startsWith('-') && text.length > 1) {
      if (text.startsWith('--') && text.includes('=')) continue;
      if (wrapper.valueOptions?.includes(text)) {
        i++;
        continue;
      }
      // `-n5` carries its value; `-x` alone may or may not take one.
      if (!text.startsWith('--') && text.length > 2 && wrapper.valueOptions?.includes(text.slice(0, 2))) continue;
      if (!isKnownFlag(text)) uncertain = true;
      continue;
    }
    if (wrapper.skipsAssignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) continue;
    if (positionals > 0) {
      positionals--;
      continue;
    }
    break;
  }
  return { start: i, script, uncertain };
}

/** Flags that take no value, common to the wrappers above; any other option leaves the command's start uncertain. */
function isKnownFlag(text: string): boolean {
  return ['-i', '-E', '-H', '-n', '-S', '-k', '-K', '-b', '-P', '-l', '-s', '-v', '-p', '-f', '-r', '-x', '-t', '-0', '-c', '-e', '-a', '-m', '-q', '-w',
    '--preserve-env', '--login', '--ignore-environment', '--null', '--verbose', '--no-run-if-empty', '--foreground', '--preserve-status', '--fork', '--wait', '--quiet', '--interactive', '--exit', '--no-fork', '--user', '--pid', '--mount', '--net', '--ipc', '--uts'].includes(text);
}

function commandOf(words: readonly Word[]): SimpleCommand {
  return { assignments: [], words, source: words.map((w) => w.text).join(' ') };
}

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
