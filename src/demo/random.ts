/**
 * mulberry32: a tiny seeded PRNG, so a demo day or a workload is the same on every machine.
 * @example const random = seededRandom(42); random() // 0.6011037519201636
 */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * A function that draws one element of a non-empty list with `random`.
 * @example const pick = randomPicker(seededRandom(42)); pick(["a", "b", "c"]) // "b"
 */
export const randomPicker =
  (random: () => number) =>
  <T>(xs: readonly T[]): T => {
    const x = xs[Math.floor(random() * xs.length)];
    if (x === undefined) throw new Error("cannot pick from an empty list");
    return x;
  };

/**
 * `x` rounded to `digits` decimals, as a pipeline reports its scores.
 * @example round(7.12345, 2) // 7.12
 */
export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
