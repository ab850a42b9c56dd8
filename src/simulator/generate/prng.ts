/**
 * Seeded pseudo-random numbers. Everything random in the simulator (generated organisations,
 * ids, fault injection, jitter, short pages) draws from a stream created here, never from
 * Math.random, so a run with the same seed and the same request sequence is reproducible.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Lower-case hexadecimal string of the given length. */
  hex(length: number): string;
  /** Characters drawn from the given alphabet. */
  chars(alphabet: string, length: number): string;
  /** RFC 4122 version-4 shaped UUID. */
  uuid(): string;
  /** An independent stream derived from this one's seed and a label. */
  fork(label: string): Prng;
}

/** 128-bit string hash (cyrb128) used to expand a seed and a stream label into PRNG state. */
function hashSeed(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

const HEX = "0123456789abcdef";

/** sfc32: small, fast, statistically sound for simulation purposes; not cryptographic. */
export function createPrng(seed: number | string, stream = ""): Prng {
  const seedText = `${seed}/${stream}`;
  let [a, b, c, d] = hashSeed(seedText);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes poorly for a few rounds after seeding.
  for (let i = 0; i < 12; i++) next();

  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  const chars = (alphabet: string, length: number): string => {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (probability) => probability > 0 && next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(items.length)] as T;
    },
    hex: (length) => chars(HEX, length),
    chars,
    uuid: () => {
      const h = chars(HEX, 32);
      const variant = HEX[8 + int(4)];
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    fork: (label) => createPrng(seedText, label),
  };
}
