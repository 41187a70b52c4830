/**
 * A library consumer (runConsumer, at-least-once) killed at random by consumerCrash.test.ts.
 * For each batch it reports the events once it has handled them (an `ack` tagged "handled":
 * [eventId, position, streamId, streamVersion, false]) as its handler's last step, and each
 * committed checkpoint as a phase "checkpoint P". With MARKER it also proves that no other process is
 * inside a batch of the same consumer at the same time: it creates the marker file exclusively
 * on entering a batch and removes it on leaving; a marker left by a live process is an overlap
 * (one left by a killed process is taken over).
 */
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { errnoCode } from "../../../src/db/sqliteErrors.js";
import { openStore, runConsumer } from "../../../src/index.js";
import { env, prng, send, sendError } from "./protocol.js";

const rand = prng(Number(env("SEED")));
const marker = process.env.MARKER;
const maxHandleMs = Number(process.env.MAX_HANDLE_MS ?? "0");
const store = openStore({ url: env("DB") });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const enter = (path: string) => {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw e;
    const other = Number(readFileSync(path, "utf8"));
    if (other !== process.pid && alive(other))
      throw new Error(`overlap: process ${other} is inside a batch of the same consumer`);
    writeFileSync(path, String(process.pid));
  }
};

send({ t: "ready", pid: process.pid });
try {
  await runConsumer(store, {
    name: env("NAME"),
    batchSize: Number(env("BATCH")),
    leaseMs: Number(env("LEASE_MS")),
    stopAtHead: process.env.STOP_AT_HEAD === "1",
    // Waiting for the lease another process holds: the parent waits for this before it kills the holder.
    onWarning: (message) => {
      if (message.includes("waiting to take it over")) send({ t: "phase", name: "waiting for the lease" });
    },
    onCheckpoint: (position) => send({ t: "phase", name: `checkpoint ${position}` }),
    handle: async (events) => {
      if (marker) enter(marker);
      // The work takes a while; a kill during it leaves the batch unhandled, so it must come again.
      if (maxHandleMs > 0) await new Promise((resolve) => setTimeout(resolve, rand.int(0, maxHandleMs)));
      send({
        t: "ack",
        tag: "handled",
        events: events.map((e) => [e.eventId, e.position, e.streamId, e.streamVersion, false]),
      });
      if (marker) unlinkSync(marker);
    },
  });
  send({ t: "done", figures: {} });
  store.close();
} catch (e) {
  sendError(e);
  process.exitCode = 1;
}
