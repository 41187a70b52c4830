import { readFileSync } from "node:fs";

/**
 * This process's own peak RSS in KB: VmHWM, the high-water mark of the memory map exec gave it.
 * Not resourceUsage().maxRSS: Linux carries the forking parent's RSS into a child's maxRSS across
 * exec, so a child of a parent at 300 MB reports at least 300 MB whatever it uses.
 * @example const peakKb = ownPeakRssKb();
 */
export const ownPeakRssKb = (): number => {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return line ? Number(line[1]) : process.resourceUsage().maxRSS;
};
