import { expect, it } from "vitest";
import { alarmScheduler } from "../../runtimes/cloudflare/alarm-scheduler.js";

it("the Durable Object wake-up slot is its one alarm: re-armed, never in the past, cleared with null", async () => {
  const calls: string[] = [];
  const storage = {
    sql: { exec: () => ({ toArray: () => [] }) },
    transactionSync: <T>(fn: () => T) => fn(),
    setAlarm: async (time: number | Date) => {
      calls.push(`set ${Number(time)}`);
    },
    deleteAlarm: async () => {
      calls.push("delete");
    },
    getAlarm: async () => null,
  };
  let now = 1_000;
  const scheduler = alarmScheduler(storage, () => now);
  let fired = "";
  scheduler.wakeAt(5_000, () => {
    fired = "first";
  });
  scheduler.wakeAt(200, () => {
    fired = "second";
  });
  now = 2_000;
  scheduler.wakeAt(null, () => {});
  await Promise.resolve();
  expect(calls).toEqual(["set 5000", "set 1000", "delete"]);
  scheduler.wakeAt(3_000, () => {
    fired = "last";
  });
  // The alarm() handler fires what the last wakeAt asked for.
  scheduler.fire();
  expect(fired).toBe("last");
});
