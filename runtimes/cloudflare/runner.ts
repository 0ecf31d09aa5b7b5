import { WorkerEntrypoint } from "cloudflare:workers";
import { collectJobs } from "../../src/define.js";
import { createExecutor } from "../../src/host/executor.js";
import type { JobModule } from "../../src/manager.js";
import type { FromContext, RunOutcome, RunRequest } from "../../src/ports.js";

/** What a fanned-out run sends back: the outcome, and the progress and logs it reported. */
export interface RemoteRun {
  outcome: RunOutcome;
  messages: FromContext[];
}

/** The class {@link jobRunner} returns: a `WorkerEntrypoint` whose `run` runs one job. */
export type JobRunnerClass = new (
  ctx: unknown,
  env: unknown,
) => WorkerEntrypoint & { run(job: RunRequest): Promise<RemoteRun> };

/**
 * Makes a stateless entrypoint that runs one job per call, for fan-out: a queue object whose jobs
 * are CPU-heavy hands each run to it through a service binding, so the object itself (one thread
 * for the whole queue) stays free to claim, renew leases and answer requests.
 *
 * @example
 * export class JobRunner extends jobRunner({ jobs }) {}
 */
export function jobRunner(options: { jobs: JobModule }): JobRunnerClass {
  const jobs = collectJobs(options.jobs as never);
  return class JobRunner extends WorkerEntrypoint {
    run(job: RunRequest): Promise<RemoteRun> {
      const messages: FromContext[] = [];
      return new Promise((resolve) => {
        const executor = createExecutor({
          jobs,
          send(message) {
            if (message.type === "done") resolve({ outcome: message.outcome, messages });
            else messages.push(message);
          },
        });
        executor.receive({ type: "run", job });
      });
    }
  };
}
