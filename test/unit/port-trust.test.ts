// The port checks skip what the Manager built itself (its jobs, claim requests and result
// batches), and still check everything else: a storage called directly gets the full check.
import { expect, it } from "vitest";
import { markTrusted } from "../../src/_trust.js";
import { checkClaim, checkClaims, checkNewJobs, checkResults } from "../../src/port-schemas.js";
import type { ClaimRequest, JobResult, NewJob } from "../../src/ports.js";

const job = (): NewJob => ({
  name: "tick",
  queue: "default",
  input: {},
  priority: 0,
  runAt: 1,
  maxAttempts: 1,
  key: null,
});
const request = (): ClaimRequest => ({ limit: 1, leaseMs: 1000, now: 1 });
const results = (): JobResult[] => [{ id: "1", token: "t", kind: "completed", output: null }];

it("marked values pass as they are, unchecked ones are parsed (copied) by the schema", () => {
  const jobs = markTrusted([job()]);
  expect(checkNewJobs(jobs, 1)).toBe(jobs);
  const plainJobs = [job()];
  expect(checkNewJobs(plainJobs, 1)).not.toBe(plainJobs);
  expect(checkNewJobs(plainJobs, 1)).toEqual(plainJobs);
  // The mark is on the batch: marked jobs in an array the Manager did not mark are checked.
  const regrouped = [markTrusted(job())];
  expect(checkNewJobs(regrouped, 1)).not.toBe(regrouped);

  const claim = markTrusted(request());
  expect(checkClaim(claim)).toBe(claim);
  expect(checkClaim(request())).not.toBe(request());
  const claims = [markTrusted(request())];
  expect(checkClaims(claims)).toBe(claims);
  const plainClaims = [request()];
  expect(checkClaims(plainClaims)).not.toBe(plainClaims);

  const batch = markTrusted(results());
  expect(checkResults(batch, 1)).toBe(batch);
  const plainBatch = results();
  expect(checkResults(plainBatch, 1)).not.toBe(plainBatch);
});

it("a bad value is refused unless the Manager marked it; the time argument is always checked", () => {
  const bad = { limit: 0, leaseMs: 1000, now: 1 };
  expect(() => checkClaim(bad)).toThrow(/limit/);
  expect(() => checkClaims([request(), bad])).toThrow(/requests\[1\]\.limit/);
  // One marked request does not vouch for an unmarked neighbour.
  expect(() => checkClaims([markTrusted(request()), bad])).toThrow(/requests\[1\]\.limit/);
  expect(() => checkResults([{ id: "1", token: "t", kind: "nope" }], 1)).toThrow(/results/);
  expect(() => checkResults(markTrusted(results()), Number.NaN)).toThrow(/now/);
  // A marked request's clock and lease still come from outside the Manager's own code.
  expect(() => checkClaim(markTrusted({ ...request(), now: Number.NaN }))).toThrow(/now/);
  expect(() => checkClaims([markTrusted({ ...request(), leaseMs: 0 })])).toThrow(
    /requests\[0\]\.leaseMs/,
  );
});
