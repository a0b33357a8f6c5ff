// Computations that are never cached but may be shared: a request that arrives while its answer is
// being computed cannot use that computation (it began before the request, so it may miss changes
// the request expects to see); it waits for the next one, started when the current one ends and
// shared by every request that arrived meanwhile. So each answer is at least as new as its
// request, and a crowd costs at most one computation running and one queued per key.
export class FreshShare<T> {
  private readonly slots = new Map<string, { running: Promise<T>; next: Promise<T> | null }>();

  /** `compute` now if nothing runs for `key`, else after the computation under way (shared). */
  run(key: string, compute: () => Promise<T>): Promise<T> {
    const slot = this.slots.get(key);
    if (slot) {
      slot.next ??= slot.running.then(
        () => this.run(key, compute),
        () => this.run(key, compute),
      );
      return slot.next;
    }
    const running = compute().finally(() => {
      if (this.slots.get(key)?.running === running) this.slots.delete(key);
    });
    this.slots.set(key, { running, next: null });
    return running;
  }

  /** Whether a computation of `key` is under way. */
  running(key: string): boolean {
    return this.slots.has(key);
  }
}
