// The hand-off's first attempt, written as text without the JSON serializer
// (adapters/_sql/verbs.ts): it must read back exactly as the claimed record holds it.
import { expect, it } from "vitest";
import { firstAttemptJson } from "../../adapters/_sql/verbs.js";

it("firstAttemptJson writes what JSON.stringify writes, for every kind of finite time", () => {
  const times = [
    0,
    -0,
    1,
    1_764_000_000_000,
    1_764_000_000_000 + 0.987654321,
    0.1 + 0.2,
    1e21,
    -5e-7,
  ];
  for (const now of times) {
    const attempt = { attempt: 1, startedAt: now, endedAt: null, outcome: null, error: null };
    expect(firstAttemptJson(now)).toBe(JSON.stringify([attempt]));
  }
});
