import { match as assertMatch, deepStrictEqual, fail } from "node:assert/strict";
import { StoreError, type StoreErrorCode } from "../db/errors.js";
import type { NewEvent } from "../events/envelope.js";
import { auditProjections, formatAuditReport } from "../replay/auditProjections.js";
import { snapshot } from "./snapshot.js";
import { createTestStore, type ExpectedRows, expectRows } from "./testStore.js";

/**
 * The append must fail with this code (and message), and leave every table as it was.
 * @example const refused: ExpectedError = { error: "STREAM_NOT_FOUND", message: /image:b\.png/ };
 */
export interface ExpectedError {
  error: StoreErrorCode;
  message?: RegExp;
}

const isExpectedError = (e: ExpectedRows | ExpectedError): e is ExpectedError => typeof e.error === "string";

/**
 * A handler specification: given these events in the log, when this one (or
 * these) is appended, then the tables hold these rows, or the append fails
 * with this error and writes nothing (every table, as `snapshot` sees them, is
 * unchanged). A passing `then` also audits the store: a replay of its log must
 * give the same tables, byte for byte.
 * @example given([generated("a.png")]).when(curated("a.png", { finalScore: 8 })).then({ generated_images: [{ final_score: 8 }] });
 */
export const given = (events: readonly NewEvent[]) => ({
  when: (next: NewEvent | readonly NewEvent[]) => ({
    // TypeScript refuses to `await` an object whose `then` takes other arguments (TS1320),
    // so this one is never mistaken for a promise.
    // biome-ignore lint/suspicious/noThenProperty: given/when/then is the vocabulary of handler specifications
    then: (expected: ExpectedRows | ExpectedError): void => {
      const store = createTestStore();
      try {
        store.append(events);
        const whenEvents: readonly NewEvent[] = Array.isArray(next) ? next : [next];
        if (isExpectedError(expected)) {
          const before = snapshot(store);
          try {
            store.append(whenEvents);
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
            deepStrictEqual(e.code, expected.error, `error code (message: ${e.message})`);
            if (expected.message) assertMatch(e.message, expected.message);
            deepStrictEqual(snapshot(store), before, "a failed append must write nothing");
            return;
          }
          fail(`expected the append to fail with ${expected.error}, but it succeeded`);
        }
        store.append(whenEvents);
        expectRows(store, expected);
        const audit = auditProjections(store);
        if (!audit.ok)
          fail(`the live tables differ from a replay of the log:\n${formatAuditReport(audit, store.path)}`);
      } finally {
        store.close();
      }
    },
  }),
});
