import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "./sqliteErrors.js";

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
const processIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === "EPERM";
  }
};

/**
 * Remove what killed runs left behind in `dir`: entries whose name matches
 * `pattern`, whose first capture group is the pid of the process that made
 * them, and whose process is gone. A run still going (another rebuild, another
 * backup) keeps its files. Returns the names removed.
 * @example removeLeftoversOfDeadProcesses("data", /^\.ai_artist\.db\.scratch-(\d+)-/)
 */
export const removeLeftoversOfDeadProcesses = (dir: string, pattern: RegExp): string[] => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processIsAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
};

/** A file name as a literal inside a RegExp. */
export const escapeForRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
