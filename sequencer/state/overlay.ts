/**
 * Copy-on-write views of the state. Records are immutable values: the state machine replaces a
 * record instead of editing it, so a child overlay can be dropped (failed tx) or merged
 * (committed tx) without touching its parent.
 */
import type { StateRecord } from "./records.ts";

export interface StateReader {
  get(key: string): StateRecord | undefined;
}

export interface StateAccess extends StateReader {
  set(key: string, value: StateRecord): void;
}

export class Overlay implements StateAccess {
  readonly writes = new Map<string, StateRecord>();
  readonly parent: StateReader;
  constructor(parent: StateReader) {
    this.parent = parent;
  }
  get(key: string): StateRecord | undefined {
    const v = this.writes.get(key);
    return v !== undefined ? v : this.parent.get(key);
  }
  set(key: string, value: StateRecord): void {
    this.writes.set(key, value);
  }
  /** Move this overlay's writes into `target` (its parent, normally). */
  mergeInto(target: StateAccess): void {
    for (const [k, v] of this.writes) target.set(k, v);
  }
}

/** A plain in-memory state (tests, genesis). */
export class MemoryState implements StateAccess {
  readonly map = new Map<string, StateRecord>();
  get(key: string): StateRecord | undefined {
    return this.map.get(key);
  }
  set(key: string, value: StateRecord): void {
    this.map.set(key, value);
  }
}
