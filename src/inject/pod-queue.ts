/**
 * The order in which kube-inject takes pod outcomes (src/inject/documents.ts): pods are submitted
 * as their documents are read and their outcomes taken back in the same order, so an
 * implementation may inject them elsewhere in the meantime (on a worker thread:
 * src/cli/inject-workers.ts) and the reports, edits and first error stay those of one thread.
 */
import { injectPod, InjectionError, type Injector, type PodInput, type PodOutcome } from './pod.js';

/** Pods in, outcomes out, first in first out. */
export interface PodQueue {
  /** Queues one pod. */
  submit(input: PodInput): void;
  /** True when enough pods wait that the caller should take some before reading on. */
  readonly full: boolean;
  /** True when the oldest pod not yet taken has its outcome, so that `next` will not wait. */
  answered(): boolean;
  /** The outcome of the oldest pod not yet taken; throws its InjectionError (or other failure). */
  next(): PodOutcome;
  /** Releases what the queue holds (a worker); called once the file is done or failed. */
  close(): void;
}

/** Makes the queue for one file's pods; `size` is the file's length in characters. */
export type PodQueueFactory = (injector: Injector, size: number) => PodQueue;

/** One pod's outcome or failure, as a value that can cross a thread boundary (structured clone). */
export type PodAnswer =
  | { ok: PodOutcome }
  | { injectionError: { message: string; path?: readonly (string | number)[] } }
  | { error: unknown };

/** Returns injectPod's outcome for `input`, or its failure, as an answer. */
export function answerFor(injector: Injector, input: PodInput): PodAnswer {
  try {
    return { ok: injectPod(injector, input) };
  } catch (e) {
    if (e instanceof InjectionError) return { injectionError: { message: e.message, ...(e.path ? { path: e.path } : {}) } };
    return { error: e };
  }
}

/** The outcome an answer stands for; throws the failure it carries (an InjectionError as injectPod threw it). */
export function outcomeOf(answer: PodAnswer): PodOutcome {
  if ('ok' in answer) return answer.ok;
  if ('injectionError' in answer) throw new InjectionError(answer.injectionError.message, answer.injectionError.path);
  throw answer.error;
}

/** The queue of one thread: each pod is injected when it is submitted. */
export function localPods(injector: Injector): PodQueue {
  const answers: PodAnswer[] = [];
  let head = 0;
  return {
    submit: (input) => {
      answers.push(answerFor(injector, input));
    },
    full: false,
    answered: () => true,
    next: () => {
      if (head >= answers.length) throw new Error('no pod injection is pending');
      const answer = answers[head]!;
      answers[head++] = undefined as unknown as PodAnswer;
      if (head === answers.length) {
        answers.length = 0;
        head = 0;
      }
      return outcomeOf(answer);
    },
    close: () => {},
  };
}
