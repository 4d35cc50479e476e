/**
 * Per-issuer key sets. A token's key always comes from the key set of the issuer the token names
 * (never a kid lookup shared across issuers), and never from the token itself.
 *
 * Remote key sets (a JWKS URI, OIDC discovery, or Cognito's default JWKS) cache the JWKS for
 * `maxAgeSeconds`; an unknown `kid` triggers at most one refetch, then unknown kids fail fast for
 * `cooldownSeconds`; concurrent fetches share one in-flight promise; every fetch is bounded by
 * `fetchTimeoutMs`. When a refresh fails, keys fetched less than `graceSeconds` ago keep working (with a
 * new attempt once per cooldown); without such keys the next attempts back off (see {@link backoffDelayMs})
 * and requests in between fail closed at once instead of each waiting for a fetch. A JWKS holding no key
 * that fits the issuer's algorithms is a failed refresh (`NO_USABLE_KEY`), so it never replaces good keys.
 * Each failed attempt is logged once, with its cause (see `key-refresh-log.ts`).
 *
 * Keys are imported with `node:crypto` (`createPublicKey`, JWK format) after {@link keyFitsAlgorithm} has
 * checked the JWK against the token's algorithm (public only, `use`, `key_ops`, `alg`, key type, curve,
 * RSA size); the resulting `KeyObject` is checked again (key type, curve, RSA modulus of at least 2048
 * bits, see {@link keyObjectFitsAlgorithm}), once per key material and algorithm. A warm request gets its
 * key synchronously ({@link KeySet.keyObject}); only a key set that must fetch answers with a promise.
 */
import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import type { IssuerConfig, JwsAlgorithm, KeyOptions } from './contract/config-types';
import { CONFIG_DEFAULTS, CONFIG_LIMITS, isAcceptableUrl, isPlainObject, PRIVATE_JWK_MEMBERS, SUPPORTED_ALGORITHMS } from './contract/config';
import { FetchError, FetchTimeoutError, KeyNotFoundError, KeysUnavailableError } from './errors';
import type { FetchFunction } from './http';
import { formatKeyRefreshFailure, KEY_REFRESH_FAILED_MSG } from './contract/key-refresh-log';
import { TERSE } from './terse';

/** Resolves the verification key of a token of one issuer. */
export interface KeySet {
  /**
   * The key with this `kid` that fits `alg`, as a WebCrypto `CryptoKey`. The verifier uses
   * {@link KeySet.keyObject} when a key set has it, and this method otherwise.
   * @throws KeyNotFoundError when no usable key has the kid (after at most one refetch)
   * @throws KeysUnavailableError when the keys cannot be fetched and none within the grace period are at hand
   */
  getKey(kid: string, alg: JwsAlgorithm): Promise<CryptoKey>;
  /**
   * The key with this `kid` that fits `alg`, as a `node:crypto` `KeyObject`: returned at once when the key
   * set has it at hand, as a promise only when it must fetch first. Throws (or rejects with) the errors of
   * {@link KeySet.getKey}.
   */
  keyObject?(kid: string, alg: JwsAlgorithm): KeyObject | Promise<KeyObject>;
}

/** Seams and settings of a remote key set. */
export interface KeySetOptions extends Required<KeyOptions> {
  /** Transport for JWKS and discovery documents. */
  readonly fetch: FetchFunction;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /**
   * The issuer named in key-refresh log lines.
   * @default - the JWKS URI or the discovery issuer
   */
  readonly issuer?: string;
  /**
   * The issuer's algorithms: a JWKS without a key that fits one of them is a failed refresh (`NO_USABLE_KEY`).
   * @default - SUPPORTED_ALGORITHMS
   */
  readonly algorithms?: readonly JwsAlgorithm[];
  /**
   * Sink of key-refresh failure lines (one JSON line per failed attempt, without newline).
   * @default - nothing is logged
   */
  readonly log?: (line: string) => void;
  /**
   * Uniform random numbers in [0, 1) for the back-off jitter.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Longest wait between two attempts of a key set without usable keys, unless the cooldown is longer (`CONFIG_LIMITS.maxKeyBackoffMs`). */
export const MAX_BACKOFF_MS: number = CONFIG_LIMITS.maxKeyBackoffMs;

/**
 * How long a key set without usable keys waits after its `failures`-th failed attempt in a row: full
 * jitter between the cooldown (the floor, so attempts never come closer than `cooldownSeconds`) and a
 * ceiling that doubles with each failure, `cooldown x 2^failures`, capped at {@link MAX_BACKOFF_MS} (or
 * the cooldown, if longer). With a 30 s cooldown: 30-60 s, 30-120 s, 30-240 s, then 30-300 s.
 * The jitter spreads the retries of many cold instances that failed together.
 * @param failures failed attempts in a row, at least 1
 * @param cooldownMs the cooldown, at least 1 ms
 * @param random uniform in [0, 1)
 * @returns milliseconds until the next attempt
 */
export function backoffDelayMs(failures: number, cooldownMs: number, random: () => number): number {
  const ceiling = Math.min(Math.max(MAX_BACKOFF_MS, cooldownMs), cooldownMs * 2 ** Math.min(Math.max(failures, 1), 30));
  const r = random();
  const jitter = r >= 0 && r <= 1 ? r : 0.5;
  return Math.round(cooldownMs + jitter * (ceiling - cooldownMs));
}

type Jwk = Readonly<Record<string, unknown>>;

/** Most keys a JWKS may hold; larger sets are refused as a whole. */
export const MAX_JWKS_KEYS = 100;
/** Most imported keys kept per key set. */
const MAX_IMPORTED_KEYS = 64;
// 2048-bit modulus = 256 bytes = 342 base64url characters (RFC 7518 section 3.3 minimum).
const MIN_RSA_MODULUS_CHARS = 342;
const EC_CURVES: Partial<Record<JwsAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Whether a JWK may verify a token signed with `alg`: public only, `use` absent or `sig`, `key_ops`
 * absent or holding `verify`, `alg` absent or equal, and a key type and curve that fit the algorithm
 * (RSA keys of at least 2048 bits for RS and PS algorithms).
 */
export function keyFitsAlgorithm(jwk: Jwk, alg: JwsAlgorithm): boolean {
  const { kty, crv, n, e, x, y, use, key_ops: ops } = jwk;
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member)) || (use !== undefined && use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== alg)) {
    return false;
  }
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) {
    return false;
  }
  if (alg[0] === 'R' || alg[0] === 'P') {
    return kty === 'RSA' && typeof n === 'string' && n.length >= MIN_RSA_MODULUS_CHARS && typeof e === 'string';
  }
  return alg === 'EdDSA'
    ? kty === 'OKP' && crv === 'Ed25519' && typeof x === 'string'
    : kty === 'EC' && crv === EC_CURVES[alg] && typeof x === 'string' && typeof y === 'string';
}

// The named curve `node:crypto` reports for each ECDSA algorithm's curve.
const EC_KEY_CURVES: Partial<Record<JwsAlgorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/**
 * Whether a `KeyObject` may verify a token signed with `alg`: a public key of the algorithm's type (RSA for
 * RS and PS algorithms, with a modulus of at least 2048 bits; EC on the algorithm's curve for ES
 * algorithms; Ed25519 for EdDSA), as `jose` checks a key before it verifies.
 */
export function keyObjectFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  if (key.type !== 'public') {
    return false;
  }
  const type = key.asymmetricKeyType;
  if (alg[0] === 'R' || alg[0] === 'P') {
    return (type === 'rsa' || (alg[0] === 'P' && type === 'rsa-pss')) && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  }
  return alg === 'EdDSA' ? type === 'ed25519' : type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_KEY_CURVES[alg];
}

/** The WebCrypto import parameters of a verification key of `alg`, for {@link KeySet.getKey}. */
function importParams(alg: JwsAlgorithm): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  if (alg === 'EdDSA') {
    return { name: 'Ed25519' };
  }
  if (alg[0] === 'E') {
    return { name: 'ECDSA', namedCurve: EC_CURVES[alg]! };
  }
  return { name: alg[0] === 'P' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${alg.slice(2)}` };
}

// The `CryptoKey` of each `KeyObject` a key set handed out through `getKey`, made on first request only.
const cryptoKeys = new WeakMap<KeyObject, Promise<CryptoKey>>();

/** The WebCrypto form of a key for {@link KeySet.getKey}: the same key, imported once, never used by the verifier. */
function cryptoKeyOf(key: KeyObject, alg: JwsAlgorithm): Promise<CryptoKey> {
  let cryptoKey = cryptoKeys.get(key);
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey('spki', key.export({ format: 'der', type: 'spki' }), importParams(alg), false, ['verify']);
    cryptoKeys.set(key, cryptoKey);
  }
  return cryptoKey;
}

/** Picks and imports keys: see {@link keyImporter}. */
interface KeyImporter {
  /** The key for kid and alg among `keys`, imported once; throws KeyNotFoundError. */
  (keys: readonly Jwk[], kid: string, alg: JwsAlgorithm, where: string): KeyObject;
  /** The key already selected for kid and alg among these very `keys`, else undefined; never throws. */
  cached(keys: readonly Jwk[], kid: string, alg: JwsAlgorithm): KeyObject | undefined;
}

/**
 * Selects the one key with `kid` that fits `alg` and imports it, once per key material and algorithm.
 * The answer for a kid and algorithm is remembered for as long as the key set passes the same (frozen)
 * keys array, so a warm request does no key selection at all; a new array (a refresh) starts over.
 * Import is synchronous: a warm lookup is two map reads, and builds nothing.
 */
function keyImporter(): KeyImporter {
  const imported = new Map<string, KeyObject>();
  let selectedFrom: readonly Jwk[] | undefined;
  // Algorithm, then kid: no key string is built per lookup.
  const selected = new Map<JwsAlgorithm, Map<string, KeyObject>>();
  let selectedCount = 0;
  const importKey = (keys: readonly Jwk[], kid: string, alg: JwsAlgorithm, where: string): KeyObject => {
    const candidates = keys.filter((jwk) => jwk.kid === kid && keyFitsAlgorithm(jwk, alg));
    const [candidate] = candidates;
    if (candidates.length !== 1 || candidate === undefined) {
      throw new KeyNotFoundError(TERSE ? '' : `${candidates.length > 1 ? 'several' : 'no'} ${where} keys have kid '${kid}' and fit ${alg}`);
    }
    const { kty, crv, n, e, x, y } = candidate;
    const id = [alg, kty, crv, n, e, x, y].join('|');
    let key = imported.get(id);
    if (!key) {
      try {
        // Only the public members: nothing else of a fetched document reaches the import.
        key = createPublicKey({ key: { kty, crv, n, e, x, y } as JsonWebKey, format: 'jwk' });
      } catch (cause) {
        throw new KeyNotFoundError(TERSE ? '' : `key '${kid}' cannot be imported for ${alg}: ${(cause as Error).message}`);
      }
      if (!keyObjectFitsAlgorithm(key, alg)) {
        // A modulus written with leading zeros passes the JWK length check but not this one.
        throw new KeyNotFoundError(TERSE ? '' : `key '${kid}' cannot be imported for ${alg}: its type, curve or size does not fit`);
      }
      if (imported.size >= MAX_IMPORTED_KEYS) {
        imported.clear();
      }
      imported.set(id, key);
    }
    return key;
  };
  const cached = (keys: readonly Jwk[], kid: string, alg: JwsAlgorithm): KeyObject | undefined => (keys === selectedFrom ? selected.get(alg)?.get(kid) : undefined);
  const importer = (keys: readonly Jwk[], kid: string, alg: JwsAlgorithm, where: string): KeyObject => {
    if (keys !== selectedFrom || selectedCount >= MAX_IMPORTED_KEYS) {
      selectedFrom = keys;
      selected.clear();
      selectedCount = 0;
    }
    let byKid = selected.get(alg);
    let key = byKid?.get(kid);
    if (!key) {
      // A failure (no such kid, an unimportable key) throws and is not remembered: the next request looks again.
      key = importKey(keys, kid, alg, where);
      if (!byKid) {
        byKid = new Map();
        selected.set(alg, byKid);
      }
      byKid.set(kid, key);
      selectedCount += 1;
    }
    return key;
  };
  return Object.assign(importer, { cached });
}

/** A key set fixed in the configuration. */
export class StaticKeySet implements KeySet {
  /** @inheritdoc */
  readonly getKey: KeySet['getKey'];
  /** The key at once: a static key set never fetches. @see KeySet.keyObject */
  readonly keyObject: (kid: string, alg: JwsAlgorithm) => KeyObject;

  /** @param keys validated public JWKs */
  constructor(keys: readonly Jwk[]) {
    const importKey = keyImporter();
    this.keyObject = (kid, alg) => importKey(keys, kid, alg, 'configured');
    this.getKey = async (kid, alg) => cryptoKeyOf(this.keyObject(kid, alg), alg);
  }
}

/** Where a remote key set finds its JWKS. */
export type RemoteKeySource = { readonly jwksUri: string } | { readonly discoveryIssuer: string };

/** A key set fetched from a JWKS URI, directly or through OIDC discovery. */
export class RemoteKeySet implements KeySet {
  /** @inheritdoc */
  readonly getKey: KeySet['getKey'];
  /** @inheritdoc */
  readonly keyObject: NonNullable<KeySet['keyObject']>;

  /**
   * @param source the JWKS URI, or the issuer to discover it from
   * @param options seams and settings
   */
  constructor(source: RemoteKeySource, options: KeySetOptions) {
    const { now, fetchTimeoutMs } = options;
    const maxAgeMs = options.maxAgeSeconds * 1000;
    // A cooldown below the configuration's minimum is refused there; the floor holds for key sets built directly too.
    const cooldownMs = Math.max(options.cooldownSeconds, CONFIG_LIMITS.keys.cooldownSeconds.min) * 1000;
    const graceMs = options.graceSeconds * 1000;
    const algorithms = options.algorithms ?? SUPPORTED_ALGORITHMS;
    const random = options.random ?? Math.random;
    const issuer = options.issuer ?? ('jwksUri' in source ? source.jwksUri : source.discoveryIssuer);
    const importKey = keyImporter();
    let keys: readonly Jwk[] | undefined;
    let fetchedAt = 0;
    let lastAttemptAt: number | undefined;
    // After a failed attempt: no new attempt before this time, failed attempts in a row, and the last error.
    let retryAt: number | undefined;
    let failures = 0;
    let lastError: unknown;
    let inflight: Promise<void> | undefined;
    let jwksUri = 'jwksUri' in source ? source.jwksUri : undefined;
    let jwksUriResolvedAt = 0;

    const within = (ms: number): boolean => keys !== undefined && now() - fetchedAt < ms;
    const mayAttempt = (): boolean => retryAt === undefined || now() >= retryAt;

    /** One GET, bounded by `fetchTimeoutMs` even if the transport ignores the abort signal. */
    const fetchJson = (url: string): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const controller = new AbortController();
        const timer = setTimeout(() => {
          const error = new FetchTimeoutError(TERSE ? '' : `${url} did not answer within ${fetchTimeoutMs} ms`);
          controller.abort(error);
          reject(error);
        }, fetchTimeoutMs);
        let answered = false;
        (async () => {
          const response = await options.fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
          answered = true;
          if (response.status !== 200) {
            throw new FetchError(TERSE ? '' : `${url} answered HTTP ${response.status}`, { failureCause: 'HTTP_STATUS', status: response.status });
          }
          return response.json();
        })()
          .catch((error: unknown) => {
            // An injected transport may reject with anything: classified by its error code, or as a bad body once it answered.
            throw error instanceof FetchError
              ? error
              : new FetchError(TERSE ? '' : `${url} ${answered ? 'answered invalid JSON' : `failed: ${error instanceof Error ? error.message : typeof error}`}`, { cause: error, failureCause: answered ? 'BAD_JSON' : undefined });
          })
          // After the timeout the promise is settled already: a late answer or failure changes nothing.
          .then(resolve, reject)
          .finally(() => clearTimeout(timer));
      });

    const resolveJwksUri = async (): Promise<string> => {
      if ('jwksUri' in source) {
        return source.jwksUri;
      }
      if (jwksUri !== undefined && now() - jwksUriResolvedAt < maxAgeMs) {
        return jwksUri;
      }
      const discoveryIssuer = source.discoveryIssuer;
      const url = `${discoveryIssuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const doc = await fetchJson(url);
      const sameIssuer = isPlainObject(doc) && doc.issuer === discoveryIssuer;
      if (!sameIssuer || typeof doc.jwks_uri !== 'string' || !isAcceptableUrl(doc.jwks_uri, true)) {
        throw new FetchError(TERSE ? '' : `${url} ${sameIssuer ? 'has no acceptable jwks_uri (https required)' : `names another issuer than ${discoveryIssuer}`}`, { failureCause: 'BAD_JSON' });
      }
      jwksUriResolvedAt = now();
      return (jwksUri = doc.jwks_uri);
    };

    /** One line per failed attempt; a failing sink must not change the answer. */
    const report = (error: unknown, step: 'discovery' | 'jwks', retryInMs: number, keysWithinGrace: boolean): void => {
      if (!options.log) {
        return;
      }
      const fetchError = error instanceof FetchError ? error : new FetchError(TERSE ? '' : 'key refresh failed', { cause: error });
      try {
        options.log(formatKeyRefreshFailure({
          level: keysWithinGrace ? 'warn' : 'error',
          msg: KEY_REFRESH_FAILED_MSG,
          issuer,
          step,
          cause: fetchError.failureCause,
          status: fetchError.status ?? null,
          failures,
          retryInMs,
          keysWithinGrace,
        }));
      } catch {
        // The log sink failing is no reason to fail a request.
      }
    };

    /** Fetches the JWKS; concurrent callers share one fetch. Never rejects: failures are recorded and logged. */
    const refresh = (): Promise<void> =>
      (inflight ??= (async () => {
        lastAttemptAt = now();
        let step: 'discovery' | 'jwks' = 'discovery';
        try {
          const uri = await resolveJwksUri();
          step = 'jwks';
          const doc = await fetchJson(uri);
          if (!isPlainObject(doc) || !Array.isArray(doc.keys) || doc.keys.length > MAX_JWKS_KEYS) {
            throw new FetchError(TERSE ? '' : `${uri} is not a JWKS document (a keys array of no more than ${MAX_JWKS_KEYS} keys)`, { failureCause: 'BAD_JSON' });
          }
          const fresh = Object.freeze(doc.keys.filter(isPlainObject).map((jwk) => Object.freeze({ ...jwk })));
          if (!fresh.some((jwk) => algorithms.some((alg) => keyFitsAlgorithm(jwk, alg)))) {
            throw new FetchError(TERSE ? '' : `${uri} holds no key that fits ${algorithms.join(', ')}`, { failureCause: 'NO_USABLE_KEY' });
          }
          keys = fresh;
          fetchedAt = now();
          failures = 0;
          retryAt = lastError = undefined;
        } catch (error) {
          failures += 1;
          lastError = error;
          // With keys within grace at hand, requests still pass: retry once per cooldown, as for an unknown kid.
          const keysWithinGrace = within(graceMs);
          const delay = keysWithinGrace ? cooldownMs : backoffDelayMs(failures, cooldownMs, random);
          retryAt = now() + delay;
          report(error, step, delay, keysWithinGrace);
        } finally {
          inflight = undefined;
        }
      })());

    /** The current keys if fresh or within grace; otherwise fails closed with the last fetch error. */
    const usableKeys = (): readonly Jwk[] => {
      if (within(Math.max(maxAgeMs, graceMs))) {
        return keys!;
      }
      throw new KeysUnavailableError(TERSE ? '' : `no keys within ${options.graceSeconds} s of their fetch are at hand${lastError instanceof Error ? `: ${lastError.message}` : ''}`, { cause: lastError });
    };

    // Whether the current keys hold a usable key for kid and alg; a key already selected from them needs no search.
    const hasKey = (current: readonly Jwk[], kid: string, alg: JwsAlgorithm): boolean =>
      importKey.cached(current, kid, alg) !== undefined || current.some((jwk) => jwk.kid === kid && keyFitsAlgorithm(jwk, alg));

    const fetchingKey = async (kid: string, alg: JwsAlgorithm): Promise<KeyObject> => {
      // Stale or no keys: fetch, or join the fetch under way; after a failure, not before the next attempt
      // is due, so that during an outage requests fail at once instead of each waiting for a fetch.
      if (!within(maxAgeMs) && (inflight || mayAttempt())) {
        await refresh();
      }
      if (!hasKey(usableKeys(), kid, alg)) {
        if (inflight) {
          // Another request is already fetching: its result is the one refetch this kid may get.
          await inflight;
        } else if ((lastAttemptAt === undefined || now() - lastAttemptAt >= cooldownMs) && mayAttempt()) {
          await refresh();
        }
      }
      return importKey(usableKeys(), kid, alg, 'JWKS');
    };

    // Fresh keys and a key already selected from them: nothing to fetch, wait for or build.
    this.keyObject = (kid, alg) => (within(maxAgeMs) && importKey.cached(keys!, kid, alg)) || fetchingKey(kid, alg);
    this.getKey = async (kid, alg) => cryptoKeyOf(await this.keyObject(kid, alg), alg);
  }
}

/** Creates the key set of an issuer: static keys, a JWKS URI, discovery, or Cognito's default JWKS. */
export function createKeySet(issuer: IssuerConfig, options: KeySetOptions): KeySet {
  if (issuer.keys) {
    return new StaticKeySet(issuer.keys);
  }
  return new RemoteKeySet(
    issuer.discovery ? { discoveryIssuer: issuer.issuer } : { jwksUri: issuer.jwksUri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks.json` },
    { ...options, issuer: issuer.issuer, algorithms: issuer.algorithms ?? CONFIG_DEFAULTS.algorithms },
  );
}
