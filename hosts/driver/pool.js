// Each module's idle instances. A request takes one to itself (acquire) and gives it back when
// its run is over (release); a broken one — it trapped, its memory may be inconsistent — is not
// taken back, so the next acquire instantiates a fresh one. The module itself is made on the
// pool's first need when it is given as a function: createSalient's `eager: false` then leaves a
// cold isolate paying only for the modules its requests use.

import { Instance } from "./instance.js";

const MAX_IDLE = 8; // idle instances kept per module after a burst; more are left to the GC

export class Pool {
  /** `source`: a WebAssembly.Module, or a function that makes it when the pool first needs it. */
  constructor(name, source, configure, knowledge, log) {
    Object.assign(this, { name, source, module: null, configure, knowledge, log, idle: [] });
  }
  acquire() {
    if (this.idle.length > 0) return this.idle.pop();
    this.module ??= typeof this.source === "function" ? this.source() : this.source;
    return new Instance(this.module, this.configure, this.knowledge, this.log);
  }
  release(instance) {
    if (!instance.broken && this.idle.length < MAX_IDLE) this.idle.push(instance);
  }
}
