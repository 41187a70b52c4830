import { describe, expect, it, onTestFinished } from "vitest";
import { createTestStore } from "../../src/testing/index.js";
import { expectStoreError } from "../support.js";

const image = (data: Record<string, unknown>, envelope: Record<string, unknown> = {}) => ({
  type: "ImageGenerated",
  occurredAt: "2026-01-08T10:00:00Z",
  data: { filename: "a.png", prompt: "p", modelId: "m", ...data },
  ...envelope,
});

describe("prepareEvent", () => {
  it.each([
    {
      where: "a payload key",
      event: image({ generationParams: { "steps\uD800": 30 } }),
      path: /data\.generationParams\.steps\uD800/,
    },
    { where: "a metadata value", event: image({}, { metadata: { note: "half \uDC00" } }), path: /metadata\.note/ },
    { where: "a metadata key", event: image({}, { metadata: { "\uDBFFkey": "v" } }), path: /metadata\.\uDBFFkey/ },
  ])(
    "refuses an unpaired surrogate in $where with INVALID_EVENT naming its path, and writes nothing",
    ({ event, path }) => {
      const store = createTestStore();
      onTestFinished(store.close);
      expectStoreError(
        () => store.appendUnknown([event]),
        "INVALID_EVENT",
        new RegExp(`^event 0 ImageGenerated: ${path.source}: contains an unpaired UTF-16 surrogate`),
      );
      expect(store.headPosition()).toBe(0);
    },
  );

  it("gives an event without occurredAt the store's clock, and one with it its own time", () => {
    const store = createTestStore({ clock: () => new Date("2031-05-06T07:08:09.010Z") });
    onTestFinished(store.close);
    store.appendUnknown([image({}, { occurredAt: undefined }), image({ filename: "b.png" })]);
    expect(store.readAll().events.map((e) => [e.occurredAt, e.recordedAt])).toEqual([
      ["2031-05-06T07:08:09.010Z", "2031-05-06T07:08:09.010Z"],
      ["2026-01-08T10:00:00.000Z", "2031-05-06T07:08:09.010Z"],
    ]);
  });
});
