import { errorInfo } from "../../src/errors.js";
import type { ExecutionContext, SpawnOptions } from "../../src/ports.js";
import type { RemoteRun } from "./runner.js";

/** A service binding to a {@link jobRunner} entrypoint. */
export interface RunnerBinding {
  run(job: import("../../src/ports.js").RunRequest): Promise<RemoteRun>;
}

/**
 * An execution context that sends each job to a stateless Worker invocation. Aborts cannot reach
 * a call in flight: the Manager still records the timeout or cancel at once, and the remote result
 * that comes later is refused by fencing.
 */
export function fanOutContext(
  runner: RunnerBinding,
  { onMessage }: SpawnOptions,
): ExecutionContext {
  let alive = true;
  return {
    send(message) {
      if (message.type !== "run") return;
      const { job } = message;
      runner.run(job).then(
        ({ outcome, messages }) => {
          if (!alive) return;
          for (const m of messages) onMessage(m);
          onMessage({ type: "done", id: job.id, token: job.token, outcome });
        },
        (error) => {
          if (!alive) return;
          const outcome = {
            kind: "failed",
            error: errorInfo(error),
            unrecoverable: false,
          } as const;
          onMessage({ type: "done", id: job.id, token: job.token, outcome });
        },
      );
    },
    terminate() {
      alive = false;
    },
  };
}
