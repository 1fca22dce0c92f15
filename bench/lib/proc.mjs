// CPU time of another process from /proc (Linux only).
//
//   stat:      utime + stime of the whole process (all threads, dead ones included), in clock
//              ticks (USER_HZ, 100 on Linux) → 10 ms resolution.
//   schedstat: the first field of /proc/<pid>/task/<tid>/schedstat, time on CPU in ns, summed
//              over the live threads → ns resolution (a thread that exits takes its time with
//              it, so the whole-run total is cross-checked against `stat`).

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })); // USER_HZ: 100 → 10 ms

/** utime + stime in ms (in steps of one clock tick). */
export function statCpuMs(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Sum of the live threads' on-CPU time in ms (ns resolution). */
export function schedCpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread exited between readdir and read
    }
  }
  return ns / 1e6;
}

/** { tid: { comm, ms } } for the live threads. */
export function threadCpuMs(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out[tid] = {
        comm: readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim(),
        ms: Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6,
      };
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function cpuSample(pid) {
  return { sched: schedCpuMs(pid), stat: statCpuMs(pid) };
}

/** The executable and thread count of a pid: proof of which process is being measured. */
export function describe(pid) {
  return {
    pid,
    exe: readlinkSync(`/proc/${pid}/exe`),
    comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim(),
    threads: readdirSync(`/proc/${pid}/task`).length,
  };
}
