/**
 * Loads a list's items in order while loading up to `atOnce` of the following ones meanwhile:
 * for per-account reads, whose AWS quota is per account, so that one slow account (the
 * connector's own, with the most IAM users) does not hold the others back. A caller that stops
 * early (its page is full) calls `settle()`: nothing new starts, and it waits for the loads
 * already started — they run under the caller's signal, and an aborted call would reach AWS
 * again on the next page. Their results stay in the sync cache for that page.
 */
export class LoadAhead<T> {
  readonly #loads = new Map<number, Promise<T>>();
  #next: number;
  #running = 0;
  #stopped = false;

  constructor(
    private readonly count: number,
    private readonly atOnce: number,
    private readonly load: (index: number) => Promise<T>,
    from = 0,
  ) {
    this.#next = from;
    this.#fill();
  }

  /** Item `index`'s load (started now if the window had not reached it). */
  get(index: number): Promise<T> {
    return this.#loads.get(index) ?? this.#start(index);
  }

  /** Starts nothing more and waits for every load already started (failures included). */
  async settle(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled(this.#loads.values());
  }

  #fill(): void {
    while (!this.#stopped && this.#running < this.atOnce && this.#next < this.count) {
      const index = this.#next++;
      if (!this.#loads.has(index)) this.#start(index);
    }
  }

  #start(index: number): Promise<T> {
    this.#running++;
    const promise = this.load(index);
    this.#loads.set(index, promise);
    const done = () => {
      this.#running--;
      this.#fill();
    };
    promise.then(done, done);
    return promise;
  }
}
