import type { JobResult } from "./ports.js";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const MAX_BATCH = 1000;

/** Callbacks of a {@link GroupCommit}. */
export interface GroupCommitHooks<Tag> {
  /** Writes a batch in one transaction; per result, whether it was written (false: stale token). */
  write(results: JobResult[]): Promise<boolean[]>;
  /** Called for each result once its batch is written. */
  settled(tag: Tag | undefined, result: JobResult, written: boolean): void;
  /** Called when a write fails; the batch is kept and tried again with backoff. */
  failed(error: unknown): void;
  /** Called after every result of a written batch was settled. */
  batchSettled?(): void;
  /**
   * Resolves when results arriving together have all been added (default: after one microtask,
   * which gathers the results of handlers that ended in the same tick). A rejection is reported
   * through `failed` and the batch is written anyway.
   */
  gathered?(): Promise<void>;
}

/**
 * Queues fenced results and writes them in batches: every result that arrives while one write runs
 * goes into the next, so throughput comes from batching, not from weaker durability.
 */
export class GroupCommit<Tag> {
  #pending: { result: JobResult; tag: Tag | undefined }[] = [];
  #running: Promise<void> | null = null;
  #failing = false;
  readonly #hooks: GroupCommitHooks<Tag>;

  constructor(hooks: GroupCommitHooks<Tag>) {
    this.#hooks = hooks;
  }

  /** Queues a result; `replace` drops an earlier queued result of the same job and kind (progress). */
  add(result: JobResult, tag?: Tag, replace = false): void {
    if (replace) {
      this.#pending = this.#pending.filter(
        (p) => !(p.result.id === result.id && p.result.kind === result.kind),
      );
    }
    this.#pending.push({ result, tag });
    this.#running ??= this.#run();
  }

  /** How many results wait for the next write (not those being written now). */
  get pending(): number {
    return this.#pending.length;
  }

  /** True from a failed write until a write succeeds: the queued results wait out a backoff. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Resolves once every queued result is written. */
  async flush(): Promise<void> {
    while (this.#running || this.#pending.length > 0) {
      this.#running ??= this.#run();
      await this.#running;
    }
  }

  async #run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    try {
      // Let results that arrive together join the first batch. A hook that fails only costs the
      // gathering: it is reported, and the results are written all the same.
      try {
        await (this.#hooks.gathered?.() ?? Promise.resolve());
      } catch (error) {
        this.#hooks.failed(error);
      }
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, MAX_BATCH);
        let written: boolean[];
        try {
          written = await this.#hooks.write(batch.map((p) => p.result));
        } catch (error) {
          this.#failing = true;
          this.#hooks.failed(error);
          // Nothing is lost: the batch goes back to the front and is written once storage answers.
          this.#pending.unshift(...batch);
          await new Promise((resolve) => setTimeout(resolve, retryMs));
          retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
          continue;
        }
        retryMs = RETRY_MIN_MS;
        this.#failing = false;
        for (const [i, p] of batch.entries()) {
          this.#hooks.settled(p.tag, p.result, written[i] === true);
        }
        this.#hooks.batchSettled?.();
      }
    } finally {
      this.#running = null;
    }
  }
}
