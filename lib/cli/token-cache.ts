/**
 * A local cache of client-credentials access tokens.
 *
 * Cognito bills machine-to-machine token requests, and a token stays valid for its whole lifetime, so
 * `secure-api token` reuses one until shortly before it expires. One file per (token endpoint, user
 * pool, client, scopes), mode 0600 in a 0700 directory. The client secret is never written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cannotWrite } from './files';

/** A cached token is used only while it stays valid for at least this long, in seconds. */
export const TOKEN_REFRESH_MARGIN_SECONDS = 60;

/** The directory, under the cache home, that holds this tool's files. */
export const CACHE_DIR_NAME = 'cdk-secure-api';

/** What identifies one cached token. */
export interface TokenCacheKey {
  /** The OAuth 2.0 token endpoint the token came from. */
  readonly tokenEndpoint: string;
  /** The user pool of the client. */
  readonly userPoolId: string;
  /** The app client the token was issued to. */
  readonly clientId: string;
  /** The scopes requested (order and duplicates do not matter); empty for "all the client may have". */
  readonly scopes: readonly string[];
}

/** A cached access token. */
export interface CachedToken {
  /** The access token. */
  readonly accessToken: string;
  /** The token type, `Bearer`. */
  readonly tokenType: string;
  /** The scopes granted, space separated, as the token endpoint returned them. */
  readonly scope?: string;
  /** When the token expires, in seconds since the epoch. */
  readonly expiresAt: number;
}

interface CacheFile extends CachedToken {
  readonly version: 1;
  readonly tokenEndpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly scopes: string[];
}

/**
 * The cache directory: `$XDG_CACHE_HOME/cdk-secure-api` when set (XDG Base Directory spec), else
 * `~/.cache/cdk-secure-api`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homeDir, '.cache');
  return join(base, CACHE_DIR_NAME);
}

/** Sorted, de-duplicated scopes: the canonical form used in cache keys. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/** Token files on disk, one per {@link TokenCacheKey}. */
export class TokenCache {
  /**
   * @param dir the directory holding the token files (created 0700 on first write)
   */
  constructor(public readonly dir: string) {}

  /** The file that holds the token for `key`: a hash of the key, so no name leaks into the file system. */
  public fileFor(key: TokenCacheKey): string {
    const canonical = JSON.stringify([key.tokenEndpoint, key.userPoolId, key.clientId, normalizeScopes(key.scopes)]);
    return join(this.dir, `token-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}.json`);
  }

  /**
   * Returns the cached token for `key` if it stays valid for at least {@link TOKEN_REFRESH_MARGIN_SECONDS}
   * after `nowMs`. A missing, unreadable, malformed, foreign or group/world-readable file counts as a miss.
   */
  public read(key: TokenCacheKey, nowMs: number): CachedToken | undefined {
    const file = this.fileFor(key);
    let text: string;
    try {
      // Like ssh with a private key: a file others can read may have leaked, so never trust it.
      if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
        return undefined;
      }
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    let entry: Partial<CacheFile>;
    try {
      entry = JSON.parse(text) as Partial<CacheFile>;
    } catch {
      return undefined;
    }
    const matches =
      entry.version === 1 &&
      entry.tokenEndpoint === key.tokenEndpoint &&
      entry.userPoolId === key.userPoolId &&
      entry.clientId === key.clientId &&
      JSON.stringify(entry.scopes) === JSON.stringify(normalizeScopes(key.scopes)) &&
      typeof entry.accessToken === 'string' &&
      typeof entry.tokenType === 'string' &&
      typeof entry.expiresAt === 'number';
    if (!matches || entry.expiresAt! - TOKEN_REFRESH_MARGIN_SECONDS <= nowMs / 1000) {
      return undefined;
    }
    return { accessToken: entry.accessToken!, tokenType: entry.tokenType!, scope: entry.scope, expiresAt: entry.expiresAt! };
  }

  /**
   * Stores `token` for `key`: written to a private temporary file, then renamed over the old one.
   *
   * @throws CliError (exit 73) naming the path and the cause when the directory or file cannot be written
   */
  public write(key: TokenCacheKey, token: CachedToken): void {
    const hint = 'Check that directory, set XDG_CACHE_HOME, or pass --no-cache.';
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      chmodSync(this.dir, 0o700);
    } catch (error) {
      throw cannotWrite('the token cache', this.dir, error, hint);
    }
    const entry: CacheFile = {
      version: 1,
      tokenEndpoint: key.tokenEndpoint,
      userPoolId: key.userPoolId,
      clientId: key.clientId,
      scopes: normalizeScopes(key.scopes),
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      ...(token.scope === undefined ? {} : { scope: token.scope }),
      expiresAt: token.expiresAt,
    };
    const file = this.fileFor(key);
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(entry, undefined, 2)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temporary, file);
    } catch (error) {
      throw cannotWrite('the token cache', file, error, hint);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}
