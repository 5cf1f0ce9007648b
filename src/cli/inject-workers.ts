/**
 * Pod injections of a large kube-inject input run on a second thread (src/cli/inject-worker.ts)
 * while this one reads the next documents and plans the text edits of the previous ones: on two
 * cores that overlaps the injection template, reading its output and the strategic merge with
 * parsing the input (bench/README.md, kube-inject, fourth pass). Outcomes come back in the order
 * the pods went in (src/inject/pod-queue.ts), so reports, edits and the first error are those of
 * a run on one thread.
 *
 * The calls stay synchronous: answers are taken with `receiveMessageOnPort`, waiting on a shared
 * counter the worker raises after each message (`Atomics.wait` is allowed on Node's main thread).
 * Small files never start the worker: its start (a thread, the injection code, the templates
 * parsed again: about 0.1 s, 0.2 s of CPU) costs more than it saves below several hundred
 * workloads. Until it is ready the pods are injected here.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Injector, PodInput, PodOutcome } from '../inject/pod.js';
import { answerFor, outcomeOf, type PodAnswer, type PodQueue, type PodQueueFactory } from '../inject/pod-queue.js';

let threads: typeof WorkerThreads | undefined;

/**
 * node:worker_threads, loaded when the first worker starts: it loads Node's stream and
 * performance modules (about 3 ms), which a run over small files never needs.
 */
function workerThreads(): typeof WorkerThreads {
  return (threads ??= createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads);
}

/** When and from where a file's pods go to a worker. */
export interface WorkerOptions {
  /**
   * The smallest file (in characters) whose pods go to a worker; 0 sends every file's pods and
   * waits for the worker to be ready (tests force the worker path so).
   */
  minSize: number;
  /** The worker's script: dist/inject-worker.js, or a bundle of src/cli/inject-worker.ts in tests. */
  script: string;
}

/**
 * Files smaller than this inject on one thread: about 680 Deployments of the bench's shape
 * (bench/gen-deployments.mjs), where the worker starts to pay on two cores (bench/README.md).
 */
const DEFAULT_MIN_SIZE = 600_000;
/** Pods sent to the worker and not yet taken back: bounds what both threads hold at once. */
const IN_FLIGHT = 64;
/** Pods per message each way: a message wakes the other thread, which costs more than copying one pod. */
const BATCH = 8;
/** Without an answer from the worker for this long, its pods are injected here (a worker that died cannot say so synchronously). */
const STALL_MS = 60_000;

/**
 * The queue kube-inject uses, from the environment. Two internal variables, for tests and
 * benchmarks: `MESHCTL_INJECT_WORKER_MIN_SIZE` sets `minSize` (`off`: one thread), and
 * `MESHCTL_INJECT_WORKER_SCRIPT` the worker's script (tests running src/ bundle it). Otherwise the
 * script is the build's dist/inject-worker.js, next to the chunk of this code. Undefined (one
 * thread) when there is no script, or, unless the variable says otherwise, when the process may
 * use only one CPU (`cores`, os.availableParallelism()): there the worker only adds its cost.
 */
export function workerOptionsFromEnv(env: Readonly<Record<string, string | undefined>>, cores: number = availableParallelism()): WorkerOptions | undefined {
  const setting = env.MESHCTL_INJECT_WORKER_MIN_SIZE;
  if (setting === 'off' || (setting === undefined && cores < 2)) return undefined;
  const script = env.MESHCTL_INJECT_WORKER_SCRIPT || builtWorkerScript();
  if (!script || !existsSync(script)) return undefined;
  return { minSize: setting !== undefined && /^\d+$/.test(setting) ? Number(setting) : DEFAULT_MIN_SIZE, script };
}

/** Returns the factory of worker queues for these options (one worker per file that needs one). */
export function workerPods(options: WorkerOptions): PodQueueFactory {
  return (injector, size) => new WorkerPods(injector, options, size);
}

/** dist/inject-worker.js when this module runs from dist/ (a chunk of it, or an entry), else undefined. */
function builtWorkerScript(): string | undefined {
  let here: string;
  try {
    here = fileURLToPath(import.meta.url);
  } catch {
    return undefined;
  }
  const dir = dirname(here);
  const dist = basename(dir) === 'chunks' ? dirname(dir) : dir;
  return basename(dist) === 'dist' ? join(dist, 'inject-worker.js') : undefined;
}

/** What the worker needs to build the same injector (its templates are parsed there again). */
export interface WorkerSetup {
  config: Injector['config'];
  /** The injector's settings that are plain data (its templates and decoded data are rebuilt there). */
  options: Pick<Injector, 'nativeSidecars' | 'nativeSidecarsOnNode' | 'env' | 'namespaces' | 'leaveAmbientPods' | 'namespaceLabels'> & { keepRuns: boolean };
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] counts the worker's messages. */
  signal: Int32Array;
}

type Slot = { answer: PodAnswer } | { remote: PodInput };

/**
 * A pod queue whose pods go to a worker thread once the file has shown enough of them and the
 * worker is ready; before that, and if the worker fails to start or answer, they are injected here.
 */
export class WorkerPods implements PodQueue {
  private slots: Slot[] = [];
  private head = 0;
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private signal: Int32Array | undefined;
  private ready = false;
  /** No (more) worker: too small a file, or it failed to start or answer. */
  private failed: boolean;
  /** Remote pods submitted and not yet answered. */
  private inFlight = 0;
  /** Pods not yet posted to the worker. */
  private batch: PodInput[] = [];
  /** Answers received and not yet taken, in order. */
  private received: PodAnswer[] = [];
  private receivedHead = 0;
  /** How many pods went to the worker (tests read it). */
  sent = 0;

  /** @param size the file's length in characters, which decides whether the worker is used */
  constructor(private readonly injector: Injector, private readonly options: WorkerOptions, size: number) {
    this.failed = size < options.minSize;
  }

  submit(input: PodInput): void {
    if (this.useWorker()) {
      this.batch.push(input);
      if (this.batch.length >= BATCH) this.flush();
      this.sent++;
      this.inFlight++;
      this.slots.push({ remote: input });
    } else {
      this.slots.push({ answer: answerFor(this.injector, input) });
    }
  }

  get full(): boolean {
    return this.inFlight >= IN_FLIGHT;
  }

  answered(): boolean {
    const slot = this.slots[this.head];
    if (slot === undefined || 'answer' in slot || this.failed) return true;
    const got = this.takeAnswer(false);
    if (got === undefined) return false;
    this.slots[this.head] = { answer: got };
    this.inFlight--;
    return true;
  }

  next(): PodOutcome {
    if (this.head >= this.slots.length) throw new Error('no pod injection is pending');
    const slot = this.slots[this.head]!;
    this.slots[this.head++] = undefined as unknown as Slot;
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    }
    if ('answer' in slot) return outcomeOf(slot.answer);
    this.inFlight--;
    const answer = this.failed ? undefined : this.takeAnswer(true);
    return outcomeOf(answer ?? answerFor(this.injector, slot.remote));
  }

  /** Posts the pods not yet posted. */
  private flush(): void {
    if (this.batch.length === 0 || this.failed) return;
    this.port!.postMessage(this.batch);
    this.batch = [];
  }

  /** The answer of the oldest remote pod not yet answered; with `wait`, waits for it (undefined: the worker failed). */
  private takeAnswer(wait: boolean): PodAnswer | undefined {
    if (this.receivedHead >= this.received.length) {
      // The pod may still be in the batch not yet posted.
      this.flush();
      const got = wait ? this.receive() : this.tryReceive();
      if (got === undefined) return undefined;
      this.received = got as PodAnswer[];
      this.receivedHead = 0;
    }
    return this.received[this.receivedHead++];
  }

  /** Ends the worker (without waiting for it). */
  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.port?.close();
    if (worker) void worker.terminate();
  }

  private useWorker(): boolean {
    if (this.failed) return false;
    if (!this.worker) {
      this.start();
      if (this.failed) return false;
    }
    if (!this.ready) this.ready = this.poll(this.options.minSize === 0);
    return this.ready;
  }

  private start(): void {
    try {
      const { MessageChannel, Worker } = workerThreads();
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const { injector } = this;
      const setup: WorkerSetup = {
        config: injector.config,
        options: {
          nativeSidecars: injector.nativeSidecars, env: injector.env, leaveAmbientPods: injector.leaveAmbientPods, keepRuns: injector.keepRuns ?? false,
          ...(injector.nativeSidecarsOnNode ? { nativeSidecarsOnNode: injector.nativeSidecarsOnNode } : {}),
          ...(injector.namespaces ? { namespaces: injector.namespaces } : {}),
          ...(injector.namespaceLabels ? { namespaceLabels: injector.namespaceLabels } : {}),
        },
        port: port2,
        signal,
      };
      const worker = new Worker(this.options.script, { workerData: setup, transferList: [port2], stdout: false, stderr: false });
      worker.unref();
      // A worker that fails after it started is noticed by its silence (STALL_MS); its error event
      // would come only after the synchronous run, and is not the command's failure.
      worker.on('error', () => {});
      this.worker = worker;
      this.port = port1;
      this.signal = signal;
    } catch {
      this.failed = true;
    }
  }

  /** True once the worker said it is ready; with `wait`, waits for that (or its failure). */
  private poll(wait: boolean): boolean {
    const first = wait ? this.receive() : this.tryReceive();
    if (first === undefined) return false;
    if (first === 'ready') return true;
    // The worker could not build the injector (a template that does not parse there, say): inject here.
    this.failed = true;
    this.close();
    return false;
  }

  private tryReceive(): unknown {
    const got = workerThreads().receiveMessageOnPort(this.port!);
    return got === undefined ? undefined : got.message;
  }

  /** The worker's next message, waiting for it; undefined (and no more worker) after STALL_MS without one. */
  private receive(): unknown {
    const signal = this.signal!;
    for (;;) {
      const count = Atomics.load(signal, 0);
      const got = this.tryReceive();
      if (got !== undefined) return got;
      if (Atomics.wait(signal, 0, count, STALL_MS) === 'timed-out') {
        const late = this.tryReceive();
        if (late !== undefined) return late;
        this.failed = true;
        this.close();
        return undefined;
      }
    }
  }
}
