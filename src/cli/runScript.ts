import { StoreError } from "../db/errors.js";

/**
 * Run a script's body and set the exit code: its return value, or 2 with one
 * line on stderr for a StoreError (the message names the problem and the fix).
 * @example runScript(() => (auditProjections(store).ok ? 0 : 1));
 */
export const runScript = (main: () => number): void => {
  try {
    process.exitCode = main();
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    process.stderr.write(`${e.code}: ${e.message}\n`);
    process.exitCode = 2;
  }
};
