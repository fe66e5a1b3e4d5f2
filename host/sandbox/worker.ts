/**
 * Entry point of a sandbox worker thread (bundled as dist/sandbox-worker.js). It runs one execution at a time
 * and forwards capability calls to the main thread, where the capabilities live. If it hangs, the pool
 * terminates the whole thread, which is why agent code runs here and never on the host's own thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { QuickJSEngine } from './engine';
import { Execution } from './execution';
import type { FromWorker, RunMessage, ToWorker, WorkerStartData } from './messages';
import { RealmSupply } from './realms';
import { useTranslations } from '../../protocol/translations';

const port = parentPort!;
const { wasmFile, cancelFlag, translations } = workerData as WorkerStartData;
useTranslations(translations);
const engine = new QuickJSEngine(wasmFile);
const realms = new RealmSupply(engine);
let current: Execution | undefined;

function post(message: FromWorker): void {
  port.postMessage(message);
}

// If QuickJS cannot load, the rejection is unhandled and ends the thread, which the pool reports.
void realms.ready().then(() => post({ type: 'ready' }));

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run':
      void run(message);
      break;
    case 'hostReply':
      if (current?.id === message.id) current.receiveReply(message.callId, message);
      break;
    case 'cancel':
      if (current?.id === message.id) current.cancel();
      break;
  }
});

async function run(message: RunMessage): Promise<void> {
  const { memoryBytes } = message.limits;
  const realm = await realms.take(memoryBytes);
  const execution = new Execution(realm, message, cancelFlag, (callId, name, argsJson) =>
    post({ type: 'hostCall', id: message.id, callId, name, argsJson }),
  );
  current = execution;
  engine.capMemory(memoryBytes);
  const result = await execution.run();
  engine.capMemory(undefined);
  current = undefined;
  post({ type: 'done', id: message.id, result });
  realms.giveBack(realm, result.memoryUsedBytes, execution.engineFailed);
}
