/**
 * Keyed pseudonyms of the `pseudonymous` log profile: `ps1_` and the unpadded base64url of
 * HMAC-SHA256(key, UTF-8 of the value). The same subject always gets the same pseudonym under one key, so an
 * investigator holding the key joins one subject's lines (the access log's principal, the decision log's
 * `sub`) without the logs naming anyone; without the key the pseudonym cannot be reversed or guessed from a
 * list of candidate subjects.
 *
 * Written in plain TypeScript (FIPS 180-4 SHA-256, RFC 2104 HMAC) because the contract holds no I/O and
 * no platform module, so the constructs and the operator CLI compute exactly what the authorizer logs; the
 * authorizer computes the same value with `node:crypto` (a test holds the two to each other).
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */

/** The prefix of every pseudonym: the scheme's version, so a later scheme can be told apart. */
export const PSEUDONYM_PREFIX = 'ps1_';

/** The `msg` of the line the authorizer writes when it cannot read the key (its requests then fail closed). */
export const PSEUDONYM_KEY_UNAVAILABLE_MSG = 'pseudonym key unavailable';

/** Bounds of the authorizer's reading of the key. */
export const PSEUDONYM_KEY_LIMITS = Object.freeze({
  /** Timeout of the GetSecretValue call, in milliseconds. */
  requestTimeoutMs: 1_500,
  /** Wait after a failed read before the next, in seconds (requests in between fail at once). */
  retrySeconds: 10,
});

/** Characters of a pseudonym: the prefix and 43 base64url characters (256 bits, no padding). */
export const PSEUDONYM_LENGTH = PSEUDONYM_PREFIX.length + 43;

const K = /* @__PURE__ */ new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/**
 * SHA-256 of bytes (FIPS 180-4).
 * @param data the message
 * @returns the 32-byte digest
 */
export function sha256(data: Uint8Array): Uint8Array {
  const length = data.length;
  const blocks = Math.ceil((length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  // The message length in bits, as a 64-bit big-endian integer.
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let block = 0; block < blocks; block++) {
    for (let t = 0; t < 16; t++) {
      w[t] = view.getUint32(block * 64 + t * 4);
    }
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15] as number;
      const w2 = w[t - 2] as number;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as number[] as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (K[t] as number) + (w[t] as number)) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((value, i) => (h[i] = ((h[i] as number) + value) >>> 0));
  }
  const digest = new Uint8Array(32);
  const out = new DataView(digest.buffer);
  h.forEach((value, i) => out.setUint32(i * 4, value));
  return digest;
}

/**
 * HMAC-SHA256 (RFC 2104).
 * @param key the key (hashed first when longer than the 64-byte block)
 * @param message the message
 * @returns the 32-byte tag
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = (block[i] as number) ^ 0x36;
    outer[i] = (block[i] as number) ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Formats a digest as a pseudonym: {@link PSEUDONYM_PREFIX} and its unpadded base64url.
 * @param digest the HMAC-SHA256 tag
 */
export function pseudonymOfDigest(digest: Uint8Array): string {
  let text = PSEUDONYM_PREFIX;
  for (let i = 0; i < digest.length; i += 3) {
    const n = ((digest[i] as number) << 16) | ((digest[i + 1] ?? 0) << 8) | (digest[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((digest.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) {
      text += BASE64URL_ALPHABET[(n >>> (18 - 6 * c)) & 63];
    }
  }
  return text;
}

/**
 * The pseudonym of a value under a key: `ps1_` + base64url(HMAC-SHA256(key, UTF-8 of value)), no padding.
 * @param key the key: the UTF-8 bytes of the pseudonym secret's `SecretString`
 * @param value the value (a `sub`, a username, a client id), as in the token
 * @returns the pseudonym, {@link PSEUDONYM_LENGTH} characters
 */
export function pseudonym(key: Uint8Array, value: string): string {
  return pseudonymOfDigest(hmacSha256(key, new TextEncoder().encode(value)));
}
