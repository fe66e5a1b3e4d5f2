import { errorMessage } from './observability/tracer';

/**
 * Keeps the host up when something fails outside any request or run: a throw from a timer or an event handler of a
 * tool, an MCP server or a model client. A run's own failures end that run; this catches what no run owns, logs it,
 * and lets every other run, `ping` and cancel go on answering.
 */
export function guardProcess(log: (message: string) => void): void {
  process.on('uncaughtException', (error) => log(`Keel host: an internal error was contained: ${errorMessage(error)}\n${error.stack ?? ''}`));
  process.on('unhandledRejection', (reason) => log(`Keel host: an unhandled rejection was contained: ${errorMessage(reason)}`));
}
