import { createInterface } from 'node:readline/promises';

/** The line the person at the terminal types after `prompt`, trimmed; asked on stderr, so stdout stays the result. */
export async function readAnswer(prompt: string, signal?: AbortSignal): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(prompt, signal ? { signal } : {})).trim();
  } finally {
    rl.close();
  }
}
