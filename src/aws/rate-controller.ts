/**
 * How fast to send to one AWS quota bucket, learned from AWS's answers: the rate the rate limiter's
 * token bucket refills at (rate-limiter.ts owns the waiting; this class only does the arithmetic,
 * with the time passed in, so it is tested without timers).
 *
 * The scheme is CUBIC, as the AWS SDKs' adaptive retry mode uses it (@smithy/util-retry's
 * DefaultRateLimiter): on a throttle the rate drops to β × the rate AWS refused, then follows
 * a cubic curve back to that rate and — if AWS still accepts — past it. The SDK's class itself does
 * not fit: it paces nothing until the first throttle (we start from a known rate, and may start from
 * a rate learned in an earlier run), keeps its state private (nothing to remember or seed), has no
 * ceiling (published quotas and operator caps must never be exceeded) and reacts to every throttled
 * response — a burst of requests already in flight when AWS starts refusing then cuts the rate once
 * per request. Here, as in TCP, one congestion event cuts once: a throttle of a request sent before
 * the last cut is the same event. Further changes come from measuring against token-bucket quotas
 * from 2 to 200 requests/s (bench/scenarios/pacing.ts, test/aws/pacing.test.ts):
 *
 *  - before the first throttle the rate grows exponentially (slow start), so a quota ten times the
 *    starting guess is found within seconds, not minutes;
 *  - the curve's time scale follows the rate: AWS's bucket hides an overshoot until its burst is
 *    spent, and each probe costs at least one throttled call, so probes are spaced by calls as well
 *    as by seconds (a slow quota is probed rarely, a fast one no more often than every few seconds);
 *  - the rate AWS refused is the rate we were actually sending (measured), not the bucket's refill
 *    rate, which may be far above what callers asked for — or, by at most one more cut, the rate
 *    AWS let through in the last second, when a quota far below the start is first met;
 *  - the rate only grows while callers wait for it (AWS accepting a trickle says nothing about a
 *    flood), and never past twice what is really sent (as the SDK's).
 */

export interface RateControllerSettings {
  /** Rate to start from (requests per second). */
  start: number;
  /** Never exceeded (Infinity: no ceiling). */
  ceiling: number;
  /** Never gone below. */
  floor: number;
}

/** What a bucket learned, kept between runs (pacing-memory.ts). */
export interface LearnedRate {
  /** The rate it was sending at last. */
  rate: number;
  /** The (measured) rate at which AWS last throttled it, if it ever did. */
  limit?: number;
}

export const CUBIC = {
  /** Multiplicative decrease on a throttle (the SDK's 0.7). */
  beta: 0.7,
  /** Seconds to regain the refused rate after a cut: a fixed part plus a part in calls at that rate. */
  recoverySeconds: 2,
  recoveryCalls: 100,
  /** Slow start: growth factor per second while callers wait for the rate. */
  slowStartGrowthPerSecond: 3,
  /** Rates are measured over this window (ms). */
  meterWindowMs: 1_000,
} as const;

/** Requests sent (or answers accepted) needed in the last window before a measured rate says anything. */
const MIN_SAMPLE = 3;

export type CubicTuning = { -readonly [K in keyof typeof CUBIC]: number };

/** Events (requests sent, answers accepted) per second over the last window, by tenths of it. */
class RateMeter {
  readonly #slotMs: number;
  readonly #counts: number[];
  #slot = -1;

  constructor(windowMs: number) {
    this.#slotMs = windowMs / 10;
    this.#counts = new Array<number>(10).fill(0);
  }

  add(now: number): void {
    this.#advance(now);
    this.#counts[this.#slot % 10]! += 1;
  }

  perSecond(now: number): number {
    this.#advance(now);
    const total = this.#counts.reduce((a, b) => a + b, 0);
    return (total * 1000) / (this.#slotMs * 10);
  }

  #advance(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (this.#slot < 0) this.#slot = slot;
    const steps = Math.min(10, slot - this.#slot);
    for (let i = 1; i <= steps; i++) this.#counts[(this.#slot + i) % 10] = 0;
    if (slot > this.#slot) this.#slot = slot;
  }
}

export class RateController {
  #rate: number;
  /** Measured send rate AWS last refused; undefined until AWS first throttles (slow start until then). */
  #limit: number | undefined;
  /** When the rate was last cut; throttles of requests sent before it belong to that event. */
  #cutAt = Number.NEGATIVE_INFINITY;
  /** Start of the current cubic curve (the last cut, or a shifted time when resumed from memory). */
  #epoch = 0;
  readonly #meter: RateMeter;
  /** Requests AWS accepted, by when their answer came. */
  readonly #acceptedMeter: RateMeter;
  readonly #tuning: CubicTuning;

  constructor(
    readonly settings: RateControllerSettings,
    now: number,
    learned?: LearnedRate,
    tuning: Partial<CubicTuning> = {},
  ) {
    this.#tuning = { ...CUBIC, ...tuning };
    this.#meter = new RateMeter(this.#tuning.meterWindowMs);
    this.#acceptedMeter = new RateMeter(this.#tuning.meterWindowMs);
    const { start, ceiling, floor } = settings;
    if (!(floor > 0) || !(ceiling >= floor) || !(start > 0)) throw new Error(`invalid rate settings ${JSON.stringify(settings)}`);
    this.#rate = this.#clamp(start);
    if (learned && Number.isFinite(learned.rate) && learned.rate > 0) {
      this.#rate = this.#clamp(learned.rate);
      if (learned.limit !== undefined && Number.isFinite(learned.limit) && learned.limit > 0) {
        this.#limit = Math.max(floor, learned.limit);
        // Resume on the curve's plateau: as if the cut was long enough ago to be back at the rate remembered.
        this.#epoch = now - this.#timeToReach(this.#rate);
      }
    }
  }

  get rate(): number {
    return this.#rate;
  }

  /** The rate AWS last refused (measured), if it ever did. */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Records a request leaving now (the send-rate meter). */
  sent(now: number): void {
    this.#meter.add(now);
  }

  /** AWS accepted a request; `waited` = it had to wait for the rate (the rate is what limits callers). */
  accepted(now: number, waited: boolean): void {
    this.#acceptedMeter.add(now);
    if (!waited) return;
    let next: number;
    if (this.#limit === undefined) {
      next = this.#rate + Math.log(this.#tuning.slowStartGrowthPerSecond);
    } else {
      next = this.#cubic(now);
    }
    // Grow only while the rate is what holds callers back: never past twice what is really sent.
    const sending = this.#meter.perSecond(now);
    if (next > this.#rate) next = Math.min(next, Math.max(this.#rate, 2 * sending + 1));
    this.#rate = this.#clamp(next);
  }

  /** AWS throttled a request sent at `sentAt`. Returns whether this was a new congestion event (the rate was cut). */
  throttled(now: number, sentAt: number): boolean {
    if (sentAt < this.#cutAt) return false;
    const sending = this.#meter.perSecond(now);
    // A rate measured from a call or two (a short command's first calls, a retry after a cut) says
    // nothing about AWS's quota: cut from the rate instead, or one early throttle would pin the
    // bucket near the floor for minutes (the recovery time grows as the refused rate falls).
    const measured = sending * (this.#tuning.meterWindowMs / 1000) >= MIN_SAMPLE;
    let refused = measured ? Math.min(this.#rate, sending) : this.#rate;
    // What AWS let through in the last second is closer to its quota than what was sent (its
    // bucket's burst aside), but take at most one more cut from it, and only from enough answers.
    const accepted = this.#acceptedMeter.perSecond(now);
    if (accepted * (this.#tuning.meterWindowMs / 1000) >= MIN_SAMPLE) refused = Math.min(refused, Math.max(accepted, refused * this.#tuning.beta));
    refused = Math.max(this.settings.floor, refused);
    this.#limit = refused;
    this.#rate = this.#clamp(refused * this.#tuning.beta);
    this.#cutAt = now;
    this.#epoch = now;
    return true;
  }

  /**
   * Takes another bucket's lesson while this one has none of its own (never throttled): the same
   * quota met elsewhere (another account's, for a per-account service). Returns whether it did.
   * The rate AWS refused there was measured with that bucket's saved-up burst, a little above the
   * quota: this bucket starts as after a throttle of its own (β × that rate) and climbs back on the
   * curve — a member account's dozen calls then meet no throttle at all.
   */
  adopt(lesson: LearnedRate, now: number): boolean {
    if (this.#limit !== undefined || lesson.limit === undefined || !(lesson.limit > 0) || lesson.limit >= this.#rate) return false;
    this.#limit = Math.max(this.settings.floor, lesson.limit);
    this.#rate = this.#clamp(Math.min(this.#rate, lesson.rate, this.#tuning.beta * this.#limit));
    this.#epoch = now - this.#timeToReach(this.#rate);
    return true;
  }

  learned(): LearnedRate {
    return this.#limit === undefined ? { rate: this.#rate } : { rate: this.#rate, limit: this.#limit };
  }

  /** The cubic curve through β × limit at the epoch, back at limit after the recovery time. */
  #cubic(now: number): number {
    const limit = this.#limit!;
    const k = this.#recoverySeconds(limit);
    const c = (1 - this.#tuning.beta) / k ** 3;
    const t = (now - this.#epoch) / 1000;
    return limit * (1 + c * (t - k) ** 3);
  }

  #recoverySeconds(limit: number): number {
    return this.#tuning.recoverySeconds + this.#tuning.recoveryCalls / limit;
  }

  /** Time after the epoch (ms) at which the curve reaches `rate` (not past the plateau). */
  #timeToReach(rate: number): number {
    const limit = this.#limit!;
    const k = this.#recoverySeconds(limit);
    const c = (1 - this.#tuning.beta) / k ** 3;
    const x = Math.min(0, rate / limit - 1);
    return (k + Math.cbrt(x / c)) * 1000;
  }

  #clamp(rate: number): number {
    return Math.min(this.settings.ceiling, Math.max(this.settings.floor, rate));
  }
}
