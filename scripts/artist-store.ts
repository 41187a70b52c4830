#!/usr/bin/env node
// The artist-store command line: parse arguments, run the command, set the exit code.
import { runCli } from "../src/cli/main.js";
import { errnoCode } from "../src/db/sqliteErrors.js";

// `artist-store events | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on("error", (e: unknown) => {
  if (errnoCode(e) === "EPIPE") process.exit(0);
  throw e;
});
process.exitCode = await runCli(process.argv);
