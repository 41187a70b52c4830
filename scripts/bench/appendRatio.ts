// npx tsx scripts/bench/appendRatio.ts [--images 50000] [--per-append 1000] [--rounds 3]
// The bench's append rows alone: store.append against the hand-rolled log (issue 13's
// baseline, scripts/bench/handRolled.ts) and raw-direct, alternating, wall and CPU.
import { parseArgs } from "node:util";
import { compareAppend, workloadGroups } from "./append.js";
import { cleanUp } from "./support.js";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "50000" },
    "per-append": { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
  },
});
const c = compareAppend(
  workloadGroups({ images: Number(values.images) }, Number(values["per-append"])),
  Number(values.rounds),
);
cleanUp();
const r = (x: number) => x.toFixed(2);
console.log(`${c.events} events, ${values["per-append"]} per append, median of ${c.rounds} rounds (wall / CPU)`);
console.log(`store vs hand-rolled log   ${r(c.ratioToHandRolled)} / ${r(c.cpuRatioToHandRolled)}`);
console.log(`store vs raw-direct        ${r(c.ratioToRawDirect)} / ${r(c.cpuRatioToRawDirect)}`);
console.log(`hand-rolled vs raw-direct  ${r(c.handRolledRatioToRawDirect)} / ${r(c.handRolledCpuRatioToRawDirect)}`);
console.log(
  `events/s: store ${c.appendEventsPerSec.toFixed(0)}, hand-rolled ${c.handRolledEventsPerSec.toFixed(0)}, raw-direct ${c.rawEventsPerSec.toFixed(0)}; same end state: ${c.sameEndState}`,
);
