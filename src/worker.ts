import type { ExecutionContext } from "./ports.js";

/** The states of a Worker (see {@link WorkerState}). */
export const WORKER_STATES = ["running", "paused", "stopping", "stopped"] as const;

/** A Worker's state. `stopping` finishes its current job, then becomes `stopped` for good. */
export type WorkerState = (typeof WORKER_STATES)[number];

/** What a Worker needs from its Manager. */
export interface WorkerHost {
  /** The worker may take a job now (resumed, or just finished one). */
  wantsWork(): void;
  /** The worker stopped; release what it holds. */
  stopped(worker: Worker): void;
  /** Resolves once the results queued so far (a stopped worker's last one) are written. */
  written(): Promise<void>;
}

/**
 * One slot that runs one job at a time, in an execution context the Scheduler started.
 * The seed's Thread wrapper: a state, pause/resume/stop, `isRunning`.
 */
export class Worker {
  readonly id: string;
  /** The job name or queue this worker serves (a key of the Manager's `workers`). */
  readonly serves: string;
  /** Queue this worker belongs to, for per-queue pause; a name-keyed worker has its job's queue. */
  readonly queue: string;
  /** Running, stopping or stopped; `paused` is a running worker's {@link pause}. */
  #state: WorkerState = "running";
  #paused = false;
  #currentJobId: string | null = null;
  #stopWaiters: (() => void)[] = [];
  readonly #host: WorkerHost;
  /** @internal */
  context: ExecutionContext | null = null;

  constructor(id: string, serves: string, queue: string, host: WorkerHost) {
    this.id = id;
    this.serves = serves;
    this.queue = queue;
    this.#host = host;
  }

  get state(): WorkerState {
    return this.#state === "running" && this.#paused ? "paused" : this.#state;
  }

  /** Id of the job this worker is running, or `null`. */
  get currentJobId(): string | null {
    return this.#currentJobId;
  }

  /** True while the worker takes new jobs. */
  get isRunning(): boolean {
    return this.state === "running";
  }

  /** True when the worker is free to take a job. */
  get isIdle(): boolean {
    return this.state === "running" && this.#currentJobId === null && this.context !== null;
  }

  /**
   * Stops taking new jobs; the current one runs to its end. This Worker alone, in this process:
   * a queue's pause (`manager.pause(queue)`) is stored instead, and storage gives no job of a
   * paused queue to any Worker, so it holds in every process and any of them may resume it.
   */
  pause(): void {
    if (this.#state === "running") this.#paused = true;
  }

  /** Takes new jobs again after {@link pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.state === "running") this.#host.wantsWork();
  }

  /**
   * Stops for good once the current job ends. Resolves when the worker is `stopped` and that job's
   * result is written (its event fired), so the caller may act on the job at once.
   */
  stop(): Promise<void> {
    if (this.#state === "stopped") return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#stopWaiters.push(resolve));
    this.#state = "stopping";
    if (this.#currentJobId === null) this.#finishStop();
    return done.then(() => this.#host.written());
  }

  /** @internal The Manager handed this worker a job. */
  _assign(jobId: string): void {
    this.#currentJobId = jobId;
  }

  /** @internal The worker's job ended (or was taken from it). */
  _release(): void {
    this.#currentJobId = null;
    if (this.#state === "stopping") this.#finishStop();
    else if (this.state === "running") this.#host.wantsWork();
  }

  #finishStop(): void {
    this.#state = "stopped";
    this.#host.stopped(this);
    for (const resolve of this.#stopWaiters.splice(0)) resolve();
  }

  /** A plain snapshot for APIs and dashboards. */
  toJSON(): {
    id: string;
    serves: string;
    queue: string;
    state: WorkerState;
    currentJobId: string | null;
  } {
    return {
      id: this.id,
      serves: this.serves,
      queue: this.queue,
      state: this.state,
      currentJobId: this.#currentJobId,
    };
  }
}
