/**
 * The worker thread of a large kube-inject run (src/cli/inject-workers.ts): builds the injector
 * from the configuration it is given, says `ready`, then answers each batch of pods it receives
 * with their outcomes or failures, in order. Loads the injection code only, not the CLI, the YAML
 * reader of the input or the edit planner.
 */
import { workerData } from 'node:worker_threads';
import { createInjector, type Injector, type PodInput } from '../inject/pod.js';
import { answerFor, type PodAnswer } from '../inject/pod-queue.js';
import type { WorkerSetup } from './inject-workers.js';

const { config, options, port, signal } = workerData as WorkerSetup;

/** Posts a message and wakes the main thread, which may be waiting for it. */
function send(message: unknown): void {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** A failure that cannot be copied to the other thread (a class with functions in it) goes as an Error with its text. */
function copyable(answer: PodAnswer): PodAnswer {
  if (!('error' in answer)) return answer;
  try {
    structuredClone(answer.error);
    return answer;
  } catch {
    return { error: new Error(String(answer.error)) };
  }
}

let injector: Injector | undefined;
try {
  injector = createInjector(config, options);
} catch (e) {
  send({ setupError: (e as Error).message });
}
if (injector) {
  const ready = injector;
  port.on('message', (inputs: PodInput[]) => send(inputs.map((input) => copyable(answerFor(ready, input)))));
  send('ready');
}
