#!/usr/bin/env node
// The artist-store command line: parse arguments, run the command, set the exit code.
import { runCli } from "../src/cli/main.js";

const code = await runCli(process.argv);
// A failure to write stdout (reported by processIo) has already set exit code 1: keep it.
if (!process.exitCode) process.exitCode = code;
