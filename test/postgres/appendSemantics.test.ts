import { describe, expect, it, onTestFinished } from "vitest";
import { type NewEvent, openAsyncStore, StoreError, VersionConflictError } from "../../src/index.js";
import { openPool } from "../../src/postgres/connection.js";
import { curated, generated, trainingStarted } from "../fixtures.js";
import { BACKENDS, type Backend, migratedPostgresDatabase, rejection } from "./backends.js";
import { freshDatabase } from "./database.js";

const T = "2026-01-08T12:00:00Z";
const clock = () => new Date("2026-01-08T12:00:00.000Z");

/** Expect fn to reject with one StoreError of `code` matching `message`, and no table of the store to change. */
const expectRejected = async (
  opened: Awaited<ReturnType<Backend["open"]>>,
  fn: () => Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<StoreError> => {
  const before = await opened.dump();
  const caught = await rejection(fn);
  expect(caught).toBeInstanceOf(StoreError);
  expect(caught).toMatchObject({ code });
  expect(caught instanceof Error ? caught.message : undefined).toMatch(message);
  expect(await opened.dump()).toEqual(before);
  return caught as StoreError;
};

describe.each(BACKENDS)("append semantics on $name", (backend) => {
  const open = () => backend.open({ clock, producer: "suite" });

  it("gives gapless global positions and stream versions 1..n", async () => {
    const { store } = await open();
    const out = await store.append([
      generated("a.png", T),
      generated("b.png", T),
      curated("a.png", T),
      curated("a.png", T),
    ]);
    expect(out.map((e) => [e.position, e.streamId, e.streamVersion])).toEqual([
      [1, "image:a.png", 1],
      [2, "image:b.png", 1],
      [3, "image:a.png", 2],
      [4, "image:a.png", 3],
    ]);
    expect(await store.headPosition()).toBe(4);
  });

  it("stores the envelope and reads it back upcast, by stream and by position", async () => {
    const { store } = await open();
    await store.append([
      { ...generated("a.png", "2026-01-08T13:00:00+01:00"), id: "evt-1", metadata: { correlationId: "run-7" } },
    ]);
    await store.emit.imageCurated({ filename: "a.png", status: "curated", finalScore: 8.5 }, { occurredAt: T });
    const [event] = await store.readStream("image:a.png");
    expect(event).toMatchObject({
      position: 1,
      eventId: "evt-1",
      streamId: "image:a.png",
      streamVersion: 1,
      type: "ImageGenerated",
      schemaVersion: 1,
      occurredAt: "2026-01-08T12:00:00.000Z",
      recordedAt: "2026-01-08T12:00:00.000Z",
      metadata: { correlationId: "run-7", producer: "suite" },
    });
    const page = await store.readAll({ after: 1, limit: 1 });
    expect(page.events.map((e) => [e.position, e.type, e.data])).toEqual([
      [2, "ImageCurated", { filename: "a.png", status: "curated", finalScore: 8.5, isFeatured: false }],
    ]);
    expect(page.next).toBe(2);
  });

  it("writes a batch all or nothing: one bad event leaves the log and tables untouched", async () => {
    const opened = await open();
    await opened.store.append([generated("a.png", T)]);
    await expectRejected(
      opened,
      () => opened.store.append([generated("b.png", T), curated("zzz.png", T)]),
      "STREAM_NOT_FOUND",
      /^event 1: ImageCurated for image:zzz.png, which was never started$/,
    );
    // The refused batch took no position: the next event gets the next one.
    expect((await opened.store.append([generated("c.png", T)]))[0]?.position).toBe(2);
  });

  it("accepts the expected version and rejects a stale one with VersionConflictError naming both versions", async () => {
    const opened = await open();
    const { store } = opened;
    await store.append([generated("a.png", T)]);
    await store.append([{ ...curated("a.png", T), expectedVersion: 1 }]);
    const caught = await expectRejected(
      opened,
      () => store.append([{ ...curated("a.png", T), expectedVersion: 1 }]),
      "VERSION_CONFLICT",
      /^version conflict on stream image:a.png: expected version 1, actual version 2$/,
    );
    expect(caught).toBeInstanceOf(VersionConflictError);
    expect(caught).toMatchObject({ streamId: "image:a.png", expectedVersion: 1, actualVersion: 2 });
  });

  it("checks expected versions against earlier events of the same batch", async () => {
    const opened = await open();
    const batch: NewEvent[] = [
      { ...generated("a.png", T), expectedVersion: 0 },
      { ...curated("a.png", T), expectedVersion: 1 },
      { ...curated("a.png", T), expectedVersion: 1 },
    ];
    await expectRejected(
      opened,
      () => opened.store.append(batch),
      "VERSION_CONFLICT",
      /expected version 1, actual version 2/,
    );
  });

  it("treats the same id with the same content as a no-op returning the original position", async () => {
    const opened = await open();
    const { store } = opened;
    const first = await store.append([{ ...generated("a.png", T), id: "img-a" }]);
    await store.append([generated("b.png", T)]);
    const retry = await store.append([
      { ...generated("a.png", T, { generationParams: {} }), id: "img-a" },
      { ...generated("c.png", T), id: "img-c" },
      { ...generated("c.png", T), id: "img-c" },
    ]);
    expect(retry[0]).toEqual({ ...first[0], duplicate: true });
    expect(retry.map((e) => [e.position, e.duplicate])).toEqual([
      [1, true],
      [3, false],
      [3, true],
    ]);
    expect((await opened.dump()).events?.map((e) => e.event_id)).toEqual(["img-a", expect.any(String), "img-c"]);
  });

  it("rejects the same id with other content", async () => {
    const opened = await open();
    await opened.store.append([{ ...generated("a.png", T), id: "img-a" }]);
    await expectRejected(
      opened,
      () => opened.store.append([{ ...generated("a.png", T, { prompt: "another prompt" }), id: "img-a" }]),
      "IDEMPOTENCY_CONFLICT",
      /^event 0: event id img-a is already in the log at position 1 \(ImageGenerated on image:a.png\) with other content$/,
    );
  });

  it("rejects a second ImageGenerated for the same filename", async () => {
    const opened = await open();
    await opened.store.append([generated("a.png", T)]);
    await expectRejected(
      opened,
      () => opened.store.append([generated("a.png", T)]),
      "STREAM_EXISTS",
      /^event 0: ImageGenerated for image:a.png, which already exists \(version 1\)$/,
    );
  });

  it.each<[string, NewEvent, RegExp]>([
    ["curation of an unknown image", curated("ghost.png", T), /ImageCurated for image:ghost.png, which was never/],
    ["completion of an unknown run", { type: "TrainingCompleted", data: { runId: "r9" } }, /training:r9/],
    ["failure of an unknown run", { type: "TrainingFailed", data: { runId: "r9", reason: "OOM" } }, /training:r9/],
    [
      "end of an unknown batch",
      { type: "BatchFinished", data: { batchId: "b9", imagesCreated: 1, imagesKept: 0 } },
      /BatchFinished for batch:b9/,
    ],
  ])("rejects %s", async (_, event, message) => {
    const opened = await open();
    await expectRejected(opened, () => opened.store.append([event]), "STREAM_NOT_FOUND", message);
  });

  it("rejects events after a training run has ended", async () => {
    const opened = await open();
    await opened.store.append([
      trainingStarted("r1", T),
      { type: "TrainingFailed", data: { runId: "r1", reason: "NaN loss" } },
    ]);
    await expectRejected(
      opened,
      () => opened.store.emit.trainingCompleted({ runId: "r1" }),
      "STREAM_CLOSED",
      /^event 0: TrainingCompleted for training:r1, which already ended with TrainingFailed \(version 2\)$/,
    );
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      "an out-of-range score",
      { type: "ImageCurated", data: { filename: "a.png", status: "curated", finalScore: 10.5 } },
      "INVALID_EVENT",
      /event 0 ImageCurated: data.finalScore: Too big/,
    ],
    ["an unknown type", { type: "ImageDeleted", data: {} }, "UNKNOWN_EVENT_TYPE", /unknown event type "ImageDeleted"/],
    [
      "more kept than created",
      { type: "BatchFinished", data: { batchId: "b", imagesCreated: 1, imagesKept: 2 } },
      "INVALID_EVENT",
      /data.imagesKept: imagesKept cannot exceed imagesCreated/,
    ],
    [
      "a payload over 64 KiB",
      { type: "ImageGenerated", data: { filename: "a.png", prompt: "x".repeat(70_000), modelId: "m" } },
      "PAYLOAD_TOO_LARGE",
      /over the 65536-byte limit/,
    ],
    ["a non-list", "not a list", "INVALID_EVENT", /expected a list of events, received string/],
  ])("rejects %s with the same message and writes nothing", async (_, event, code, message) => {
    const opened = await open();
    await opened.store.append([generated("a.png", T)]);
    await expectRejected(
      opened,
      () => opened.store.appendUnknown(event === "not a list" ? (event as unknown as unknown[]) : [event]),
      code,
      message,
    );
  });
});

describe("PostgreSQL's one difference", () => {
  it("refuses U+0000 inside a string as bad input naming the field (PostgreSQL text cannot hold it; SQLite keeps it)", async () => {
    const postgres = BACKENDS.find((b) => b.name === "postgres");
    if (!postgres) throw new Error("no postgres backend");
    const opened = await postgres.open({ clock });
    await expectRejected(
      opened,
      () =>
        opened.store.emit.imageGenerated({ filename: "a.png", prompt: "p", modelId: "m", tags: ["ok", "n\u0000l"] }),
      "INVALID_EVENT",
      /^event 0 ImageGenerated: data.tags.1: contains U\+0000, which PostgreSQL text cannot hold$/,
    );
  });

  it("refuses to append to a log that lost a guard trigger, naming it, and still reads", async () => {
    const url = await migratedPostgresDatabase();
    const pool = openPool(url, 1);
    await pool.query("DROP TRIGGER events_no_delete ON events");
    await pool.end();
    const store = await openAsyncStore(url);
    onTestFinished(() => store.close());
    const caught = await rejection(() => store.emit.batchStarted({ batchId: "b1" }));
    expect(caught).toMatchObject({ code: "LOG_UNGUARDED" });
    expect(caught instanceof Error ? caught.message : "").toMatch(
      /has lost its guard trigger\(s\) events_no_delete: appends are refused/,
    );
    expect(await store.headPosition()).toBe(0);
  });

  it("reports a server it cannot reach as one StoreError that does not print the password", async () => {
    const caught = await rejection(() => openAsyncStore("postgres://app:s3cret@127.0.0.1:1/artist"));
    expect(caught).toBeInstanceOf(StoreError);
    expect(caught).toMatchObject({ code: "STORE_BUSY" });
    const message = caught instanceof Error ? caught.message : "";
    expect(message).toMatch(/^cannot reach postgres:\/\/app:…@127.0.0.1:1\/artist: /);
    expect(message).not.toContain("s3cret");
  });

  it("refuses a database without the schema, naming the command that migrates it", async () => {
    const url = await freshDatabase();
    const caught = await rejection(() => openAsyncStore(url));
    expect(caught).toMatchObject({ code: "SCHEMA_MISSING" });
    expect(caught instanceof Error ? caught.message : "").toMatch(
      /has no ai-artist-store schema: run `npx artist-store migrate --db postgres:/,
    );
  });
});
