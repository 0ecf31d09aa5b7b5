import { describe, expect, it } from "vitest";
import { ListenedEventTarget } from "../../src/_listened-target.js";

/** Dispatches only what someone may hear, as the Manager does. */
class Target extends ListenedEventTarget {
  emit(type: string): boolean {
    if (!this.hasListener(type)) return false;
    this.dispatchEvent(new Event(type));
    return true;
  }
}

describe("ListenedEventTarget", () => {
  it("events nobody listens to are not built; every listener still hears its events", () => {
    const target = new Target();
    expect(target.emit("active")).toBe(false);
    const heard: string[] = [];
    const listener = (event: Event) => heard.push(event.type);
    target.addEventListener("active", listener);
    expect(target.emit("active")).toBe(true);
    expect(target.emit("completed")).toBe(false);
    // Removing with another capture flag removes nothing, in EventTarget and here.
    target.removeEventListener("active", listener, { capture: true });
    expect(target.emit("active")).toBe(true);
    // Removing one that was never added does not hide the one that was.
    target.removeEventListener("active", () => {});
    expect(target.emit("active")).toBe(true);
    target.removeEventListener("active", listener);
    expect(target.emit("active")).toBe(false);
    expect(heard).toEqual(["active", "active", "active"]);
  });

  it("a listener added under both capture flags counts until both are removed", () => {
    const target = new Target();
    const listener = () => {};
    target.addEventListener("log", listener, true);
    target.addEventListener("log", listener);
    target.removeEventListener("log", listener);
    expect(target.emit("log")).toBe(true);
    target.removeEventListener("log", listener, true);
    expect(target.emit("log")).toBe(false);
  });

  it("errs towards dispatching: a once listener that fired still counts", () => {
    const target = new Target();
    let heard = 0;
    target.addEventListener("stale", () => heard++, { once: true });
    expect(target.emit("stale")).toBe(true);
    expect(target.emit("stale")).toBe(true);
    expect(heard).toBe(1);
  });
});
