import { describe, expect, it } from "vitest";
import { readTimeline } from "../../src/serve/views/events.js";
import { storeWith } from "./support.js";

const positions = (page: { events: { position: number }[]; next: number | undefined }) => ({
  positions: page.events.map((e) => e.position),
  next: page.next,
});

describe("the timeline's reads of the log", () => {
  it("reads at most scanWindow positions per request when it filters by type: a short page says where to continue", () => {
    const { db } = storeWith();
    const read = (before?: number) =>
      positions(readTimeline(db, { types: ["ImageCurated"], before, limit: 50, scanWindow: 3 }));
    // Positions 8..10, then 5..7, 2..4, 1: the curations are at 3 and 5.
    expect(read()).toEqual({ positions: [], next: 8 });
    expect(read(8)).toEqual({ positions: [5], next: 5 });
    expect(read(5)).toEqual({ positions: [3], next: 2 });
    expect(read(2)).toEqual({ positions: [], next: undefined });
  });

  it("ends a full page at its last event, whatever the window", () => {
    const { db } = storeWith();
    expect(positions(readTimeline(db, { types: ["ImageGenerated"], limit: 2, scanWindow: 100 }))).toEqual({
      positions: [6, 4],
      next: 4,
    });
    expect(positions(readTimeline(db, { until: "2026-01-08T09:03:00Z", to: 9, limit: 50, scanWindow: 5 }))).toEqual({
      positions: [],
      next: 5,
    });
  });

  it("reads a stream through its index, without a window", () => {
    const { db } = storeWith();
    expect(
      positions(readTimeline(db, { stream: "image:a.png", types: ["ImageCurated"], limit: 50, scanWindow: 1 })),
    ).toEqual({ positions: [3], next: undefined });
  });
});
