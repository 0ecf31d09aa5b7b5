import * as v from "valibot";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration: milliseconds as a number, or a string such as `"500ms"`, `"5s"`, `"2m"`, `"1h"`, `"1d"`. */
export type Duration = number | `${number}${keyof typeof UNIT_MS}`;

/**
 * The longest duration: 100 years. Anything longer is a mistake, and past about 270,000 years a
 * delay would put a job's run time beyond the last date JavaScript has.
 */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

/** Parses a {@link Duration} to milliseconds, or returns `undefined` when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  const ms =
    typeof value === "number" ? value : typeof value === "string" ? fromText(value) : undefined;
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS
    ? ms
    : undefined;
}

function fromText(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/** valibot schema: a {@link Duration}, output as milliseconds. */
export const durationSchema: v.GenericSchema<unknown, number> = v.pipe(
  v.unknown(),
  v.check(
    (value) => parseDuration(value) !== undefined,
    'expected a duration from 0 to 100 years: milliseconds, or a string like "500ms", "5s", "2m", "1h", "1d"',
  ),
  v.transform((value) => parseDuration(value) as number),
);
