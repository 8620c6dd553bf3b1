import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

function randomByte(): number {
  if (poolPos >= POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  return pool[poolPos++]!;
}

/** A ULID generator: 26 Crockford base-32 characters, sortable by creation time, monotonic within a millisecond. */
export interface UlidGenerator {
  (now?: number): string;
}

/**
 * Creates a monotonic ULID generator: ids made in the same millisecond still sort in creation order.
 * @example
 * const ulid = createUlid(); ulid(); // '01JD3Z8XK4M6Q8B4T3V5W7Y9ZA'
 */
export function createUlid(clock: () => number = Date.now): UlidGenerator {
  let lastTime = -1;
  const rand = new Uint8Array(16); // 16 base-32 digits of randomness (80 bits)
  return (now?: number): string => {
    let t = Math.max(0, Math.floor(now ?? clock()));
    if (t <= lastTime) {
      t = lastTime;
      // increment the random part by one, carrying over
      let i = 15;
      while (i >= 0 && rand[i] === 31) {
        rand[i] = 0;
        i--;
      }
      if (i >= 0) rand[i]!++;
    } else {
      lastTime = t;
      for (let i = 0; i < 16; i++) rand[i] = randomByte() & 31;
    }
    let out = '';
    let time = t;
    const timeChars: string[] = new Array<string>(10);
    for (let i = 9; i >= 0; i--) {
      timeChars[i] = ALPHABET[time % 32]!;
      time = Math.floor(time / 32);
    }
    out = timeChars.join('');
    for (let i = 0; i < 16; i++) out += ALPHABET[rand[i]!]!;
    return out;
  };
}

/** The process-wide ULID generator. @example const id = ulid(); */
export const ulid: UlidGenerator = createUlid();
