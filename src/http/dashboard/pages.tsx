/** @jsxImportSource hono/jsx */
/**
 * The dashboard's pages. Every value is rendered through JSX, which escapes it: job inputs,
 * outputs, errors and names are text, never markup.
 * @module
 */
import type { JobRecord, QueueStats } from "../../ports.js";
import { Action, Layout, type PageContext, State, when } from "./layout.js";

const json = (value: unknown) => JSON.stringify(value, null, 2) ?? "null";
const STATES = ["waiting", "active", "completed", "failed", "cancelled"] as const;

/** Queues with counts, throughput and pause/resume; the workers of this host. */
export function Overview(props: {
  ctx: PageContext;
  queues: QueueStats[];
  workers: { id: string; queue: string; state: string; currentJobId: string | null }[];
}) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Queues">
      <h1>Queues</h1>
      {props.queues.length === 0 ? <p class="muted">No jobs yet.</p> : null}
      <table id="queues">
        <thead>
          <tr>
            <th>Queue</th>
            {STATES.map((s) => (
              <th>{s}</th>
            ))}
            <th>delayed</th>
            <th>throughput</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.queues.map((q) => (
            <tr data-queue={q.queue}>
              <td>
                <a href={`${ctx.base}/dashboard/jobs?queue=${encodeURIComponent(q.queue)}`}>
                  {q.queue}
                </a>
                {q.paused ? <span class="muted"> (paused)</span> : null}
              </td>
              {STATES.map((s) => (
                <td data-count={s}>
                  <a
                    href={`${ctx.base}/dashboard/jobs?queue=${encodeURIComponent(q.queue)}&state=${s}`}
                  >
                    {q[s]}
                  </a>
                </td>
              ))}
              <td>{q.delayed}</td>
              <td data-rate={q.queue} data-completed={String(q.completed)}>
                …
              </td>
              <td>
                <Action
                  ctx={ctx}
                  action={`/dashboard/queues/${encodeURIComponent(q.queue)}/${q.paused ? "resume" : "pause"}`}
                  label={q.paused ? "Resume" : "Pause"}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.workers.length > 0 ? (
        <>
          <h2>Workers</h2>
          <table id="workers">
            <thead>
              <tr>
                <th>Worker</th>
                <th>Queue</th>
                <th>State</th>
                <th>Job</th>
              </tr>
            </thead>
            <tbody>
              {props.workers.map((w) => (
                <tr>
                  <td>{w.id}</td>
                  <td>{w.queue}</td>
                  <td>{w.state}</td>
                  <td>
                    {w.currentJobId ? (
                      <a href={`${ctx.base}/dashboard/jobs/${encodeURIComponent(w.currentJobId)}`}>
                        {w.currentJobId}
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Layout>
  );
}

/** Jobs, newest first, filtered by state and queue, a page at a time. */
export function JobList(props: {
  ctx: PageContext;
  jobs: JobRecord[];
  filter: { state?: string; queue?: string; name?: string; limit?: string };
  nextCursor: string | null;
}) {
  const { ctx, filter } = props;
  const link = (params: Record<string, string | undefined>) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, ...params })) if (v) query.set(k, v);
    const text = query.toString();
    return `${ctx.base}/dashboard/jobs${text ? `?${text}` : ""}`;
  };
  return (
    <Layout
      ctx={ctx}
      title="Jobs"
      events={filter.queue ? `?queue=${encodeURIComponent(filter.queue)}` : ""}
    >
      <h1>Jobs{filter.queue ? ` in ${filter.queue}` : ""}</h1>
      <nav class="filters">
        <a href={link({ state: undefined, cursor: undefined })}>all</a>
        {STATES.map((s) => (
          <a href={link({ state: s, cursor: undefined })}>
            {filter.state === s ? <strong>{s}</strong> : s}
          </a>
        ))}
      </nav>
      <table id="jobs">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Queue</th>
            <th>State</th>
            <th>Attempt</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((job) => (
            <tr data-job={job.id}>
              <td>
                <a href={`${ctx.base}/dashboard/jobs/${encodeURIComponent(job.id)}`}>{job.id}</a>
              </td>
              <td>{job.name}</td>
              <td>{job.queue}</td>
              <td>
                <State state={job.state} />
              </td>
              <td>{`${job.attempt}/${job.maxAttempts}`}</td>
              <td>{when(job.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.jobs.length === 0 ? <p class="muted">No jobs match.</p> : null}
      {props.nextCursor ? (
        <p>
          <a rel="next" href={link({ cursor: props.nextCursor })}>
            Older jobs →
          </a>
        </p>
      ) : null}
    </Layout>
  );
}

/** One job: its input, output, progress and every attempt with its error. */
export function JobPage(props: { ctx: PageContext; job: JobRecord }) {
  const { ctx, job } = props;
  const path = `/dashboard/jobs/${encodeURIComponent(job.id)}`;
  return (
    <Layout ctx={ctx} title={`Job ${job.id}`} events={`?job=${encodeURIComponent(job.id)}`}>
      <h1>
        {job.name} <span class="muted">#{job.id}</span> <State state={job.state} />
      </h1>
      <p>
        {job.state === "failed" || job.state === "cancelled" ? (
          <Action ctx={ctx} action={`${path}/retry`} label="Retry" />
        ) : null}
        {job.state === "waiting" || job.state === "active" ? (
          <Action ctx={ctx} action={`${path}/cancel`} label="Cancel" />
        ) : null}
      </p>
      <table id="job">
        <tbody>
          <tr>
            <th>Queue</th>
            <td>{job.queue}</td>
          </tr>
          <tr>
            <th>Attempt</th>
            <td>{`${job.attempt} of ${job.maxAttempts}`}</td>
          </tr>
          <tr>
            <th>Priority</th>
            <td>{job.priority}</td>
          </tr>
          <tr>
            <th>Key</th>
            <td>{job.key ?? "—"}</td>
          </tr>
          <tr>
            <th>Runs at</th>
            <td>{when(job.runAt)}</td>
          </tr>
          <tr>
            <th>Created</th>
            <td>{when(job.createdAt)}</td>
          </tr>
          <tr>
            <th>Finished</th>
            <td>{when(job.finishedAt)}</td>
          </tr>
          {job.cancelReason ? (
            <tr>
              <th>Cancelled because</th>
              <td>{job.cancelReason}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <h2>Input</h2>
      <pre id="input">{json(job.input)}</pre>
      <h2>Output</h2>
      <pre id="output">{json(job.output)}</pre>
      <h2>Progress</h2>
      <pre id="progress">{json(job.progress)}</pre>
      {job.error ? (
        <>
          <h2>Last error</h2>
          <pre id="error">
            {job.error.stack ?? `${job.error.name ?? "Error"}: ${job.error.message}`}
          </pre>
        </>
      ) : null}
      <h2>Attempts</h2>
      <table id="attempts">
        <thead>
          <tr>
            <th>#</th>
            <th>Started</th>
            <th>Ended</th>
            <th>Outcome</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {job.attempts.map((a) => (
            <tr>
              <td>{a.attempt}</td>
              <td>{when(a.startedAt)}</td>
              <td>{when(a.endedAt)}</td>
              <td>{a.outcome ?? "running"}</td>
              <td>
                {a.error ? (
                  <details>
                    <summary>{a.error.message}</summary>
                    <pre>{a.error.stack ?? a.error.message}</pre>
                  </details>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

/** A job the dashboard was asked for that storage does not hold (a wrong link, a pruned job). */
export function JobMissing(props: { ctx: PageContext; id: string }) {
  return (
    <Layout ctx={props.ctx} title="Job not found">
      <h1>Job not found</h1>
      <p>
        {`There is no job "${props.id}": the link is wrong, or the job was pruned. `}
        <a href={`${props.ctx.base}/dashboard/jobs`}>All jobs</a>
      </p>
    </Layout>
  );
}

/**
 * A request the dashboard refused (a button's action on a job that moved on since the page was
 * drawn, a stale form, a list filter that is not one): what was wrong, and the way back, as a page
 * rather than the API's JSON.
 */
export function Refused(props: {
  ctx: PageContext;
  heading: string;
  message: string;
  back: string;
}) {
  return (
    <Layout ctx={props.ctx} title={props.heading}>
      <h1>{props.heading}</h1>
      <p>
        {`${props.message} `}
        <a href={props.back}>Back</a>
      </p>
    </Layout>
  );
}

/** The login form of a token-protected dashboard. */
export function Login(props: { base: string; failed: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Log in · shiftwork</title>
      </head>
      <body style="font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto">
        <h1>shiftwork</h1>
        {props.failed ? <p role="alert">That token is not right.</p> : null}
        <form method="post" action={`${props.base}/login`}>
          <label>
            Token <input type="password" name="token" autocomplete="current-password" required />
          </label>{" "}
          <button type="submit">Log in</button>
        </form>
      </body>
    </html>
  );
}
