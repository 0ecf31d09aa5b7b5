import { announceEnqueued } from "./_enqueue.js";
import type { Execution, InFlight } from "./_execution.js";
import type { GroupCommit } from "./_group-commit.js";
import { type EventTag, eventInit, type ManagerHost } from "./_host.js";
import type { WorkerGroup } from "./_plan.js";
import { markTrusted } from "./_trust.js";
import type {
  ClaimedJob,
  ClaimRequest,
  EnqueueClaim,
  EnqueueResult,
  ErrorInfo,
  JobRecord,
  JobResult,
  NewJob,
  Storage,
} from "./ports.js";
import { isPromise, type MaybePromise, matchesFilter } from "./ports.js";
import type { Worker } from "./worker.js";

/** A claim group with its Workers. */
export interface Group extends WorkerGroup {
  workers: Worker[];
}

/** What a {@link ClaimLoop} needs besides the {@link ManagerHost}. */
export interface ClaimLoopOptions {
  groups: Group[];
  /** Every Worker, of every group. */
  workers: readonly Worker[];
  /** Queued results, which claim for idle Workers when storage can write and claim at once. */
  results: GroupCommit<EventTag>;
  /** Where claimed jobs go, and whose leases the heartbeat renews. */
  execution: Execution;
  leaseMs: number;
  heartbeatMs: number;
  rescueMs: number;
}

const STORAGE_RETRY_MIN_MS = 100;
const STORAGE_RETRY_MAX_MS = 5_000;
/** A drain made only of microtasks would starve timers (heartbeats, timeouts): yield this often. */
const YIELD_EVERY_MS = 20;
/** Floor of the wake-up delay when something due could not be claimed (a race, an expired lease). */
const IDLE_RETRY_MS = 25;
/** How often idle workers look for work when storage has no `subscribe`. */
const POLL_WITHOUT_SUBSCRIBE_MS = 1000;

const ignore = () => {};

/**
 * The Manager's claim loop (see "The pump" in docs/architecture.md): claims for idle Workers in
 * batches, with results when storage can, or with a one-job enqueue (the hand-off); renews the
 * leases of the jobs running here; rescues expired leases; and arms the scheduler's wake slot.
 */
export class ClaimLoop {
  readonly #host: ManagerHost;
  readonly #storage: Storage;
  readonly #groups: Group[];
  readonly #workers: readonly Worker[];
  readonly #results: GroupCommit<EventTag>;
  readonly #execution: Execution;
  readonly #leaseMs: number;
  readonly #heartbeatMs: number;
  readonly #rescueMs: number;
  /** Each group's hand-off request: the same for every enqueue, so made (and marked) once. */
  readonly #handOffs = new Map<Group, EnqueueClaim>();

  #pumping = false;
  #pumpAgain = false;
  #pumpQueued = false;
  /** The claim in flight, awaited by `stop` so a job it returns is released, not stranded. */
  #claiming: Promise<void> = Promise.resolve();
  /**
   * When the pump began working without the event loop turning since (microtask-only drains
   * starve timers), or undefined once it has turned. Real time, not the injected clock.
   */
  #busySince: number | undefined;
  #loopMarkArmed = false;
  #nextHeartbeat = 0;
  #nextRescue = 0;
  #storageRetryMs = 0;
  /**
   * Set while a failed pump waits out its backoff: other pump requests (a Worker freed, a change
   * notice) wait for the retry too, so failing storage is not hit once per event.
   */
  #backingOff = false;
  /** Dispatches the jobs claimed together with a batch of results, once that batch is settled. */
  #handOver: (() => void) | undefined;
  /** A claim is in flight (from the pump or with results): no second one for the same workers. */
  #claimInFlight = false;
  /** A job is being given to its Worker, whose handler may start inside that call. */
  #starting = false;
  /**
   * Counts the reasons to look for work (`requestPump` calls): an enqueue, a change notice, a
   * timer, a freed or respawned worker, `resume`, `retry`, `wake`, a storage retry.
   */
  #workSignals = 0;
  /**
   * Groups whose claim with results came back short, with `#workSignals` as it was when that claim
   * was asked: until another signal arrives, nothing is due for them that the claim did not see, so
   * the pump that follows the hand-over arms their wake-up without claiming again.
   */
  readonly #drained = new Map<Group, number>();
  /**
   * Groups whose last claim, of any kind, came back short: the new job is then likely all they
   * could take, so a one-job enqueue that suits them may be handed off.
   */
  readonly #short = new Set<Group>();

  constructor(host: ManagerHost, options: ClaimLoopOptions) {
    this.#host = host;
    this.#storage = host.storage;
    this.#groups = options.groups;
    this.#workers = options.workers;
    this.#results = options.results;
    this.#execution = options.execution;
    this.#leaseMs = options.leaseMs;
    this.#heartbeatMs = options.heartbeatMs;
    this.#rescueMs = options.rescueMs;
    for (const group of this.#groups) {
      // Frozen through and through: storage may keep what it derives from it (its SQL).
      const { queues, names } = group.filter;
      const claim: EnqueueClaim = { leaseMs: this.#leaseMs };
      if (queues) claim.queues = Object.freeze([...queues]);
      if (names) claim.names = Object.freeze([...names]);
      this.#handOffs.set(group, markTrusted(Object.freeze(claim)));
    }
  }

  /** The Manager started: the first heartbeat is one interval out, a rescue runs at once. */
  start(): void {
    this.#nextHeartbeat = this.#host.now() + this.#heartbeatMs;
    this.requestPump();
  }

  /** True while a pump runs or is about to. */
  get busy(): boolean {
    return this.#pumping || this.#pumpQueued;
  }

  /** Settles once the claim in flight (if any) has handed its jobs over. */
  get claiming(): Promise<void> {
    return this.#claiming;
  }

  /**
   * Hands a one-job enqueue straight to an idle Worker, when one waits for it (see `#takerOf`):
   * the enqueue, or `undefined` when the job goes the usual way (enqueue, then a pump claims).
   */
  handOff(batch: readonly NewJob[], now: number): MaybePromise<JobRecord[]> | undefined {
    const taker = this.#takerOf(batch[0] as NewJob, now);
    return taker && this.#insertHandedOff(batch, now, taker);
  }

  /** A reason to look for work: runs the pump soon. */
  requestPump(): void {
    this.#workSignals++;
    this.#schedulePump();
  }

  /** A batch of results was written and announced: the jobs claimed with it start now. */
  resultsSettled(): void {
    this.#handOver?.();
  }

  /**
   * The idle Worker a one-job enqueue may hand its job to: one of a group whose last claim came
   * back short (so the new job is likely all it could take), while no other claim serves idle
   * Workers. Storage then decides, in the insert itself, whether the job really is that group's
   * next one.
   */
  #takerOf(job: NewJob, now: number): { group: Group; worker: Worker } | undefined {
    if (!this.#host.started() || this.#backingOff || this.#claimInFlight) return undefined;
    // An enqueue made while a job starts (its inline handler's first lines, an `active` listener)
    // goes the usual way: a synchronous hand-off would start its handler inside that one, and so on
    // as deep as there are idle Workers.
    if (this.#starting) return undefined;
    if (job.runAt > now || this.#resultsWillClaim()) return undefined;
    for (const group of this.#groups) {
      if (!this.#short.has(group) || !matchesFilter(group.filter, job)) continue;
      const worker = group.workers.find((w) => w.isIdle);
      if (worker) return { group, worker };
    }
    return undefined;
  }

  /**
   * A one-job enqueue that asks storage to insert the job already claimed for `taker`'s Worker:
   * one commit, where enqueue then claim take two, between an enqueue and its handler's start.
   * The Worker is held for it as for any claim, and the job goes back when stop began meanwhile.
   * A synchronous storage's answer is used at once: the handler starts before this returns.
   */
  #insertHandedOff(
    batch: readonly NewJob[],
    now: number,
    { group, worker }: { group: Group; worker: Worker },
  ): MaybePromise<JobRecord[]> {
    // Held as for any claim (see `#claimFor`), written without its wrappers: this path is the
    // whole of an enqueue's latency, and every promise on it is a turn of cold code.
    this.#claimInFlight = true;
    let answer: MaybePromise<EnqueueResult[]>;
    try {
      answer = this.#host.callNow("enqueue", () =>
        this.#storage.enqueue(batch, now, this.#handOffs.get(group)),
      );
    } catch (error) {
      this.#handOffFailed();
      throw error;
    }
    if (!isPromise(answer)) return this.#handedOff(answer, worker);
    this.#claiming = answer.then(ignore, ignore);
    return answer.then(
      (results) => this.#handedOff(results, worker),
      (error: unknown) => {
        this.#handOffFailed();
        throw error;
      },
    );
  }

  /** The hand-off's insert failed: the held Worker is free again. */
  #handOffFailed(): void {
    this.#claimInFlight = false;
    // A pump that ran meanwhile skipped its claim for this held Worker: look for work again.
    this.requestPump();
  }

  /** The hand-off's insert committed: its job starts on `worker`, if storage claimed it. */
  #handedOff(results: EnqueueResult[], worker: Worker): JobRecord[] {
    this.#storageRetryMs = 0;
    try {
      // Announced while the Worker is still held: a listener's own enqueue must not pick it too.
      announceEnqueued(this.#host, results);
    } finally {
      this.#claimInFlight = false;
    }
    const claimed = results[0]?.claimed;
    if (claimed) {
      this.#give(worker, claimed);
      // Nothing new for any other Worker: no work signal, but the pump arms the lease renewal.
      this.#schedulePump();
    } else {
      // Not handed off: other jobs come first, and the pump claims them.
      this.requestPump();
    }
    return results.map((r) => r.job);
  }

  /** Runs the pump soon without counting a new reason to look for work (see `#drained`). */
  #schedulePump(): void {
    if (!this.#host.started() || this.#backingOff) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (!this.#host.started() || this.#pumping) return;
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#busySince === undefined) {
          // First pump since the event loop last turned (an enqueue, a wake-up): no yield, so an
          // idle worker starts a job at once; a zero timer marks when the loop turns again.
          this.#busySince = performance.now();
        } else if (performance.now() - this.#busySince > YIELD_EVERY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (!this.#host.started()) return;
        }
        const now = this.#host.now();
        // Housekeeping is due every few seconds: the claim path skips even its call.
        if (now >= this.#nextHeartbeat || now >= this.#nextRescue) await this.#housekeeping(now);
        for (const group of this.#groups) await this.#fill(group);
        this.#markLoopTurn();
      } while (this.#pumpAgain && this.#host.started());
      await this.#armWake();
    } catch (error) {
      this.#host.dispatchError("claim", error);
      // Storage trouble: try again with backoff rather than spinning.
      this.#pumpAgain = false;
      this.#storageRetryMs = Math.min(
        STORAGE_RETRY_MAX_MS,
        Math.max(STORAGE_RETRY_MIN_MS, this.#storageRetryMs * 2),
      );
      if (this.#host.started()) {
        this.#backingOff = true;
        this.#host.scheduler.wakeAt(this.#host.now() + this.#storageRetryMs, () => {
          this.#backingOff = false;
          this.requestPump();
        });
      }
    } finally {
      this.#markLoopTurn();
      this.#pumping = false;
      // A request that arrived after the loop's last check (a worker freed while the wake-up was
      // being armed) would otherwise wait for the next timer: pump again now. Its signal was
      // counted when it was requested; a hand-over's must stay uncounted.
      if (this.#pumpAgain) this.#schedulePump();
    }
  }

  /**
   * Arms the zero timer that clears `#busySince` when the event loop turns again: after the first
   * claims, not before them, since on a cold path (an enqueue after an idle spell) making a timer
   * costs tens of microseconds the handler's start need not wait for.
   */
  #markLoopTurn(): void {
    if (this.#busySince === undefined || this.#loopMarkArmed) return;
    this.#loopMarkArmed = true;
    setTimeout(() => {
      this.#loopMarkArmed = false;
      this.#busySince = undefined;
    }, 0);
  }

  async #housekeeping(now: number): Promise<void> {
    if (now >= this.#nextHeartbeat) {
      this.#nextHeartbeat = now + this.#heartbeatMs;
      await this.#heartbeat();
    }
    if (now >= this.#nextRescue) {
      this.#nextRescue = now + this.#rescueMs;
      const rescued = await this.#host.call("rescueExpired", () =>
        this.#storage.rescueExpired(now),
      );
      for (const job of rescued) {
        const init = eventInit(job);
        this.#host.emit("stalled", init);
        if (job.state === "failed") this.#host.emit("failed", { ...init, ...errorOf(job.error) });
        if (job.state === "cancelled") {
          this.#host.emit("cancelled", { ...init, reason: job.cancelReason ?? "cancelled" });
        }
      }
    }
  }

  async #fill(group: Group): Promise<void> {
    if (this.#drained.get(group) === this.#workSignals) return;
    const idle = group.workers.filter((w) => w.isIdle);
    if (idle.length === 0 || this.#claimInFlight) return;
    // Results are about to be written: that write claims for the idle workers (one commit).
    if (this.#resultsWillClaim()) return;
    const request = this.#claimRequest(group, idle.length, this.#host.now());
    const filling = (async () => {
      let claimed: ClaimedJob[] = [];
      const hand = await this.#claimFor([idle], async () => {
        claimed = await this.#host.call("claim", () => this.#storage.claim(request));
        return [claimed];
      });
      hand();
      // The first claim after start, say: when it comes back short, a one-job enqueue may be
      // handed off. (Not `#drained`: the wake-up this pump arms next would take this claim for a
      // skipped one, and claim again at once while something due cannot be claimed, such as an
      // expired lease before its rescue.)
      this.#noteShort(group, claimed.length < idle.length);
    })();
    // `stop` waits for the hand-over too: a job claimed after stop began goes back to storage
    // (a `released` result) before stop flushes the results. (A claim made with results is
    // handed over inside the group commit, which stop flushes.)
    this.#claiming = filling.catch(() => {});
    await filling;
  }

  #claimRequest(group: Group, limit: number, now: number): ClaimRequest {
    return markTrusted({ ...group.filter, limit, leaseMs: this.#leaseMs, now });
  }

  /**
   * Queued results will claim for the idle workers when written. Not while their writes fail: a
   * result storage keeps refusing must not stop every claim of this process.
   */
  #resultsWillClaim(): boolean {
    return (
      this.#storage.recordAndClaim !== undefined &&
      this.#results.pending > 0 &&
      !this.#results.failing
    );
  }

  /**
   * Writes results; when storage can, also claims next jobs for every idle worker in the same
   * transaction (a drain's common case: the workers whose results these are). The claimed jobs
   * start once the results are settled.
   */
  async writeResults(results: JobResult[]): Promise<boolean[]> {
    const storage = this.#storage;
    // Every result here was built by this Manager (`decide`, a release, a cancel), so the port
    // check would only repeat its own work.
    markTrusted(results);
    const now = this.#host.now();
    const mayClaim =
      storage.recordAndClaim !== undefined &&
      this.#host.started() &&
      !this.#backingOff &&
      !this.#claimInFlight &&
      // A retry of a batch that failed is written alone: its trouble must not fail claims too.
      !this.#results.failing;
    const idle = mayClaim
      ? this.#groups
          .map((group) => ({ group, workers: group.workers.filter((w) => w.isIdle) }))
          .filter((g) => g.workers.length > 0)
      : [];
    if (idle.length === 0) return this.#host.call("record", () => storage.record(results, now));
    const requests = idle.map(({ group, workers }) =>
      this.#claimRequest(group, workers.length, now),
    );
    let written: boolean[] = [];
    let claimed: ClaimedJob[][] = [];
    const signals = this.#workSignals;
    const hand = await this.#claimFor(
      idle.map((g) => g.workers),
      async () => {
        const answer = await this.#host.call("record", () =>
          (storage.recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(
            results,
            requests,
            now,
          ),
        );
        written = answer.written;
        claimed = answer.claimed;
        return claimed;
      },
    );
    this.#handOver = () => {
      this.#handOver = undefined;
      hand();
      for (const [i, { group, workers }] of idle.entries()) {
        const short = (claimed[i]?.length ?? 0) < workers.length;
        if (short) this.#drained.set(group, signals);
        else this.#drained.delete(group);
        this.#noteShort(group, short);
      }
      // Workers left idle (fewer due jobs than workers): the pump arms their wake-up, without
      // claiming again for them unless something happened since this claim was asked.
      this.#schedulePump();
    };
    return written;
  }

  /**
   * Runs a claim for groups of idle workers (`claimed[i]` for `idle[i]`); returns the hand-over
   * that gives each claimed job to its worker, or back to storage when the worker or the Manager
   * can no longer take it.
   */
  async #claimFor(idle: Worker[][], claim: () => Promise<ClaimedJob[][]>): Promise<() => void> {
    // Held until the hand-over, so no other claim serves these workers in between.
    this.#claimInFlight = true;
    let claimed: ClaimedJob[][];
    try {
      claimed = await claim();
    } catch (error) {
      this.#claimInFlight = false;
      throw error;
    }
    // Storage takes writes again. (Not any pump that succeeds: one that only read, because
    // results were about to claim for it, says nothing about writes.)
    this.#storageRetryMs = 0;
    return () => {
      this.#claimInFlight = false;
      for (const [g, jobs] of claimed.entries()) {
        for (const [i, job] of jobs.entries()) this.#give(idle[g]?.[i] as Worker, job);
      }
    };
  }

  #noteShort(group: Group, short: boolean): void {
    if (short) this.#short.add(group);
    else this.#short.delete(group);
  }

  /** Starts a claimed job on its Worker; when a stop or pause came first, hands it straight back. */
  #give(worker: Worker, job: ClaimedJob): void {
    if (!this.#host.started() || !worker.isIdle) {
      this.#results.add({ id: job.id, token: job.leaseToken, kind: "released" });
      return;
    }
    // An inline handler starts inside this call: see `#takerOf` for why that is marked.
    this.#starting = true;
    try {
      this.#execution.dispatch(worker, job);
    } finally {
      this.#starting = false;
    }
  }

  /**
   * Arms the scheduler's one slot for the earliest of: a job due for an idle worker, any lease's
   * expiry (a dead process's jobs to rescue), and, while jobs run here, their lease renewal. With
   * nothing pending the slot is cleared: an idle Durable Object gets no alarm.
   */
  async #armWake(): Promise<void> {
    const now = this.#host.now();
    let earliest = Number.POSITIVE_INFINITY;
    // While jobs run here: renew their leases, and look for others' expired leases on the way.
    if (this.#execution.size > 0) earliest = Math.min(this.#nextHeartbeat, this.#nextRescue);
    let looked = false;
    // A claim in flight, or results about to be written (which claim), serve the idle workers and
    // pump again once handed over: asking storage now would see due jobs nobody claimed yet and
    // arm a needless rescue.
    const claimPending = this.#claimInFlight || this.#resultsWillClaim();
    for (const group of this.#groups) {
      if (claimPending || !group.workers.some((w) => w.isIdle)) continue;
      looked = true;
      const due = await this.#host.call("nextWakeAt", () => this.#storage.nextWakeAt(group.filter));
      if (due !== null && due <= now && this.#drained.get(group) === this.#workSignals) {
        // This pump skipped the group's claim, and a job is due for it (it fell due, or was put
        // back by a rescue or by another Manager on this connection): claim now.
        this.#drained.delete(group);
        this.#schedulePump();
        continue;
      }
      if (due !== null) earliest = Math.min(earliest, due);
      // Storage that cannot tell us about other processes' enqueues is polled instead.
      if (!this.#storage.subscribe) earliest = Math.min(earliest, now + POLL_WITHOUT_SUBSCRIBE_MS);
    }
    // No idle worker asked storage (all paused, say): keep rescuing dead processes' jobs.
    if (!looked && this.#execution.size === 0 && this.#workers.some((w) => w.state !== "stopped")) {
      earliest = Math.min(earliest, this.#nextRescue);
    }
    if (!this.#host.started()) return;
    if (earliest === Number.POSITIVE_INFINITY) {
      this.#host.scheduler.wakeAt(null, () => {});
      return;
    }
    if (earliest <= now) {
      // Something is due that this pump could not claim: most likely an expired lease of a dead
      // process. Rescue on the next pump, and wait a little so a race cannot spin the loop.
      this.#nextRescue = now;
      earliest = now + IDLE_RETRY_MS;
    }
    this.#host.scheduler.wakeAt(earliest, () => this.requestPump());
  }

  async #heartbeat(): Promise<void> {
    const entries = this.#execution.held();
    if (entries.length === 0) return;
    const leases = entries.map((e) => ({ id: e.job.id, token: e.job.leaseToken }));
    const statuses = await this.#host.call("extendLeases", () =>
      this.#storage.extendLeases(leases, this.#leaseMs, this.#host.now()),
    );
    for (const [i, status] of statuses.entries()) {
      this.#execution.renewed(entries[i] as InFlight, status);
    }
  }
}

const errorOf = (error: ErrorInfo | null) => (error ? { error } : {});
