// `node --import ./test/bench/process-usage.mjs …`: at exit, writes the process's whole CPU time (user
// and system, start-up included) and peak RSS as one JSON line to the file in CLV_PROCESS_USAGE, so a
// benchmark can measure a child process from inside it, with no `time` command.
import { writeFileSync } from "node:fs";

const file = process.env.CLV_PROCESS_USAGE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMb: usage.maxRSS / 1024 }));
  });
}
