/**
 * Per-issuer key sets. A token's key always comes from the key set of the issuer the token names
 * (never a kid lookup shared across issuers), and never from the token itself.
 *
 * Remote key sets (a JWKS URI, OIDC discovery, or Cognito's default JWKS) cache the JWKS for
 * `maxAgeSeconds`; an unknown `kid` triggers at most one refetch, then unknown kids fail fast for
 * `cooldownSeconds`; concurrent fetches share one in-flight promise; every fetch is bounded by
 * `fetchTimeoutMs`; when a refresh fails, keys fetched less than `graceSeconds` ago keep working
 * (without a new attempt during the cooldown) and everything else fails closed.
 */
import { importJWK } from 'jose';
import type { IssuerConfig, JwsAlgorithm, KeyOptions } from './config-types';
import { isAcceptableUrl, isPlainObject } from './config';
import { FetchError, FetchTimeoutError, KeyNotFoundError, KeysUnavailableError } from './errors';
import type { FetchFunction } from './http';

/** Resolves the verification key of a token of one issuer. */
export interface KeySet {
  /**
   * The key with this `kid` that fits `alg`.
   * @throws KeyNotFoundError when no usable key has the kid (after at most one refetch)
   * @throws KeysUnavailableError when the keys cannot be fetched and none within the grace period are at hand
   */
  getKey(kid: string, alg: JwsAlgorithm): Promise<CryptoKey>;
}

/** Seams and settings of a remote key set. */
export interface KeySetOptions extends Required<KeyOptions> {
  /** Transport for JWKS and discovery documents. */
  readonly fetch: FetchFunction;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
}

/** Most keys a JWKS may hold; larger sets are refused as a whole. */
export const MAX_JWKS_KEYS = 100;
/** Most imported keys kept per key set. */
const MAX_IMPORTED_KEYS = 64;
// 2048-bit modulus = 256 bytes = 342 base64url characters (RFC 7518 section 3.3 minimum).
const MIN_RSA_MODULUS_CHARS = 342;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const EC_CURVES: Partial<Record<JwsAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Whether a JWK may verify a token signed with `alg`: public only, `use` absent or `sig`, `key_ops`
 * absent or holding `verify`, `alg` absent or equal, and a key type and curve that fit the algorithm
 * (RSA keys of at least 2048 bits for RS and PS algorithms).
 */
export function keyFitsAlgorithm(jwk: Readonly<Record<string, unknown>>, alg: JwsAlgorithm): boolean {
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
    return false;
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    return false;
  }
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return false;
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    return false;
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    return jwk.kty === 'RSA' && typeof jwk.n === 'string' && jwk.n.length >= MIN_RSA_MODULUS_CHARS && typeof jwk.e === 'string';
  }
  if (alg === 'EdDSA') {
    return jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string';
  }
  return jwk.kty === 'EC' && jwk.crv === EC_CURVES[alg] && typeof jwk.x === 'string' && typeof jwk.y === 'string';
}

/** Imports JWKs once per key material and algorithm. */
class KeyImporter {
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  async import(jwk: Readonly<Record<string, unknown>>, alg: JwsAlgorithm): Promise<CryptoKey> {
    const id = [alg, jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y].join('|');
    let key = this.imported.get(id);
    if (!key) {
      if (this.imported.size >= MAX_IMPORTED_KEYS) {
        this.imported.clear();
      }
      const { kty, crv, n, e, x, y } = jwk;
      key = importJWK({ kty, crv, n, e, x, y } as Parameters<typeof importJWK>[0], alg) as Promise<CryptoKey>;
      this.imported.set(id, key);
      key.catch(() => this.imported.delete(id));
    }
    try {
      return await key;
    } catch (cause) {
      throw new KeyNotFoundError(`key '${String(jwk.kid)}' cannot be imported for ${alg}: ${(cause as Error).message}`);
    }
  }
}

function selectKey(keys: readonly Readonly<Record<string, unknown>>[], kid: string, alg: JwsAlgorithm): Readonly<Record<string, unknown>> | undefined | 'ambiguous' {
  const candidates = keys.filter((jwk) => jwk.kid === kid && keyFitsAlgorithm(jwk, alg));
  if (candidates.length > 1) {
    return 'ambiguous';
  }
  return candidates[0];
}

/** A key set fixed in the configuration. */
export class StaticKeySet implements KeySet {
  private readonly importer = new KeyImporter();

  /** @param keys validated public JWKs */
  constructor(private readonly keys: readonly Readonly<Record<string, unknown>>[]) {}

  async getKey(kid: string, alg: JwsAlgorithm): Promise<CryptoKey> {
    const jwk = selectKey(this.keys, kid, alg);
    if (jwk === 'ambiguous' || jwk === undefined) {
      throw new KeyNotFoundError(jwk === 'ambiguous' ? `several configured keys have kid '${kid}' and fit ${alg}` : `no configured key has kid '${kid}' and fits ${alg}`);
    }
    return this.importer.import(jwk, alg);
  }
}

/** Where a remote key set finds its JWKS. */
export type RemoteKeySource = { readonly jwksUri: string } | { readonly discoveryIssuer: string };

/** A key set fetched from a JWKS URI, directly or through OIDC discovery. */
export class RemoteKeySet implements KeySet {
  private readonly importer = new KeyImporter();
  private keys: readonly Readonly<Record<string, unknown>>[] | undefined;
  private fetchedAt = 0;
  private lastAttemptAt: number | undefined;
  private lastFailureAt: number | undefined;
  private lastError: unknown;
  private inflight: Promise<void> | undefined;
  private jwksUri: string | undefined;
  private jwksUriResolvedAt = 0;

  /**
   * @param source the JWKS URI, or the issuer to discover it from
   * @param options seams and settings
   */
  constructor(
    private readonly source: RemoteKeySource,
    private readonly options: KeySetOptions,
  ) {
    this.jwksUri = 'jwksUri' in source ? source.jwksUri : undefined;
  }

  async getKey(kid: string, alg: JwsAlgorithm): Promise<CryptoKey> {
    const maxAgeMs = this.options.maxAgeSeconds * 1000;
    const cooldownMs = this.options.cooldownSeconds * 1000;
    const now = this.options.now();
    const fresh = this.keys !== undefined && now - this.fetchedAt < maxAgeMs;
    if (!fresh) {
      const coolingDownAfterFailure = this.lastFailureAt !== undefined && now - this.lastFailureAt < cooldownMs;
      // With keys within grace at hand, a failed endpoint is retried once per cooldown, not per request.
      if (!(coolingDownAfterFailure && this.withinGrace(now))) {
        await this.refresh();
      }
    }
    const keys = this.usableKeys();
    let jwk = selectKey(keys, kid, alg);
    if (jwk === undefined && this.inflight) {
      // Another request is already fetching: its result is the one refetch this kid may get.
      await this.inflight;
      jwk = selectKey(this.usableKeys(), kid, alg);
    } else if (jwk === undefined && (this.lastAttemptAt === undefined || this.options.now() - this.lastAttemptAt >= cooldownMs)) {
      await this.refresh();
      jwk = selectKey(this.usableKeys(), kid, alg);
    }
    if (jwk === 'ambiguous') {
      throw new KeyNotFoundError(`several keys of the JWKS have kid '${kid}' and fit ${alg}`);
    }
    if (jwk === undefined) {
      throw new KeyNotFoundError(`no key of the JWKS has kid '${kid}' and fits ${alg}`);
    }
    return this.importer.import(jwk, alg);
  }

  private withinGrace(now: number): boolean {
    return this.keys !== undefined && now - this.fetchedAt < this.options.graceSeconds * 1000;
  }

  /** The current keys if fresh or within grace; otherwise fails closed with the last fetch error. */
  private usableKeys(): readonly Readonly<Record<string, unknown>>[] {
    const now = this.options.now();
    const fresh = this.keys !== undefined && now - this.fetchedAt < this.options.maxAgeSeconds * 1000;
    if (this.keys !== undefined && (fresh || this.withinGrace(now))) {
      return this.keys;
    }
    const detail = this.lastError instanceof Error ? `: ${this.lastError.message}` : '';
    throw new KeysUnavailableError(`no keys within ${this.options.graceSeconds} s of their fetch are at hand${detail}`, { cause: this.lastError });
  }

  /** Fetches the JWKS; concurrent callers share one fetch. Never rejects: failures are recorded. */
  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      this.lastAttemptAt = this.options.now();
      try {
        const uri = await this.resolveJwksUri();
        this.keys = parseJwks(uri, await this.fetchJson(uri));
        this.fetchedAt = this.options.now();
        this.lastFailureAt = undefined;
        this.lastError = undefined;
      } catch (error) {
        this.lastFailureAt = this.options.now();
        this.lastError = error;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private async resolveJwksUri(): Promise<string> {
    if ('jwksUri' in this.source) {
      return this.source.jwksUri;
    }
    const now = this.options.now();
    if (this.jwksUri !== undefined && now - this.jwksUriResolvedAt < this.options.maxAgeSeconds * 1000) {
      return this.jwksUri;
    }
    const issuer = this.source.discoveryIssuer;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const doc = await this.fetchJson(url);
    if (!isPlainObject(doc) || doc.issuer !== issuer) {
      throw new FetchError(`${url} names another issuer than ${issuer}`);
    }
    if (typeof doc.jwks_uri !== 'string' || !isAcceptableUrl(doc.jwks_uri, true)) {
      throw new FetchError(`${url} has no acceptable jwks_uri (https required)`);
    }
    this.jwksUri = doc.jwks_uri;
    this.jwksUriResolvedAt = now;
    return doc.jwks_uri;
  }

  /** One GET, bounded by `fetchTimeoutMs` even if the transport ignores the abort signal. */
  private async fetchJson(url: string): Promise<unknown> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new FetchTimeoutError(`${url} did not answer within ${this.options.fetchTimeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, this.options.fetchTimeoutMs);
    });
    const work = (async () => {
      const response = await this.options.fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
      if (response.status !== 200) {
        throw new FetchError(`${url} answered HTTP ${response.status}`);
      }
      return response.json();
    })();
    // The loser of the race must not surface as an unhandled rejection.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseJwks(url: string, doc: unknown): readonly Readonly<Record<string, unknown>>[] {
  if (!isPlainObject(doc) || !Array.isArray(doc.keys)) {
    throw new FetchError(`${url} is not a JWKS document`);
  }
  if (doc.keys.length > MAX_JWKS_KEYS) {
    throw new FetchError(`${url} holds ${doc.keys.length} keys, more than ${MAX_JWKS_KEYS}`);
  }
  return Object.freeze(doc.keys.filter(isPlainObject).map((jwk) => Object.freeze({ ...jwk })));
}

/** Creates the key set of an issuer: static keys, a JWKS URI, discovery, or Cognito's default JWKS. */
export function createKeySet(issuer: IssuerConfig, options: KeySetOptions): KeySet {
  if (issuer.keys) {
    return new StaticKeySet(issuer.keys);
  }
  if (issuer.discovery) {
    return new RemoteKeySet({ discoveryIssuer: issuer.issuer }, options);
  }
  return new RemoteKeySet({ jwksUri: issuer.jwksUri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks.json` }, options);
}
