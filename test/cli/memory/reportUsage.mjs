// Preloaded into a measured command (node --import): at exit, append what the process used to
// the file named by USAGE_REPORT, one JSON line: peak RSS in KiB (VmHWM of /proc/self/status:
// resourceUsage().maxRSS can carry a forking parent's RSS across exec), bytes read (rchar of
// /proc/self/io: SQLite's preads and everything else), and the exit code.
import { appendFileSync, readFileSync } from "node:fs";

const report = process.env.USAGE_REPORT;
if (report)
  process.on("exit", (code) => {
    const io = readFileSync("/proc/self/io", "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    const readBytes = Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? Number.NaN);
    appendFileSync(
      report,
      `${JSON.stringify({ maxRssKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS, readBytes, code })}\n`,
    );
  });
