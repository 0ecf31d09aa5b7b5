import * as v from "valibot";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration: milliseconds as a number, or a string such as `"500ms"`, `"5s"`, `"2m"`, `"1h"`, `"1d"`. */
export type Duration = number | `${number}${keyof typeof UNIT_MS}`;

/** Parses a {@link Duration} to milliseconds, or returns `undefined` when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = DURATION_RE.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** valibot schema: a {@link Duration}, output as milliseconds. */
export const durationSchema: v.GenericSchema<unknown, number> = v.pipe(
  v.unknown(),
  v.check(
    (value) => parseDuration(value) !== undefined,
    'expected a duration: milliseconds >= 0 or a string like "500ms", "5s", "2m", "1h"',
  ),
  v.transform((value) => parseDuration(value) as number),
);
