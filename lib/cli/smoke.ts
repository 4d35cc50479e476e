/**
 * End-to-end checks of a deployed secure API: the gateway rejects missing and forged tokens with 401
 * and a `WWW-Authenticate` challenge, lets a token through on a route its scopes allow, answers 403
 * `insufficient_scope` on a route they do not, and (optionally) throttles a short burst with 429.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
import { usageError } from './errors';
import { HttpSeams, toNetworkError } from './http';

/** HTTP methods a smoke route may use. */
export const SMOKE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The largest `--burst`: enough to exceed a stage's burst limit, small enough to stay a smoke test. */
export const MAX_BURST = 500;

/** Requests of a burst in flight at once. */
export const BURST_CONCURRENCY = 25;

/** What `{param}` and `{proxy+}` segments of a route become in the request URL. */
export const PATH_PARAMETER_VALUE = 'secure-api-smoke';

/** A route to call, e.g. `GET /items`. */
export interface SmokeRoute {
  /** The HTTP method. */
  readonly method: (typeof SMOKE_METHODS)[number];
  /** The resource path, starting with `/`; `{param}` segments are filled in. */
  readonly path: string;
}

/**
 * Parses `"<METHOD> <path>"`, e.g. `GET /items` or `DELETE /items/{id}`. The path must stay below the
 * API URL (see {@link checkRoutePath}).
 *
 * @throws CliError (exit 2) naming `flag` when the value has another shape or would leave the API
 */
export function parseSmokeRoute(value: string, flag: string): SmokeRoute {
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(value);
  const method = match?.[1]?.toUpperCase();
  const path = match?.[2];
  if (method === undefined || path === undefined || !(SMOKE_METHODS as readonly string[]).includes(method)) {
    throw usageError('ERR_BAD_ROUTE', `${flag} must be "<METHOD> <path>", e.g. "GET /items" (received: ${JSON.stringify(value)}).`);
  }
  checkRoutePath(path, flag, value);
  return { method: method as SmokeRoute['method'], path };
}

/** RFC 3986 path characters (`pchar` and `/`), plus `{` and `}` of path parameters. */
const ROUTE_PATH_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%{}/]*$/;

/**
 * Says why `path` could leave the API's origin or base path once resolved as a URL, or returns
 * `undefined` when it stays below it: a backslash or an empty segment (`//host`, `/http://host`), a
 * dot segment (`..`, `%2e%2e`, `.%2E`), an encoded `/` or `\`, a query or fragment, a malformed
 * percent sign, or any character that is not a path character.
 */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) {
    return 'it does not start with /';
  }
  if (path.includes('\\')) {
    return 'it holds a backslash, which URL parsers read as /';
  }
  if (!ROUTE_PATH_CHARACTERS.test(path)) {
    const [bad] = [...path].filter((character) => !ROUTE_PATH_CHARACTERS.test(character));
    return `it holds ${JSON.stringify(bad)}, which is no path character (a route is a path, without query or fragment)`;
  }
  const segments = path.slice(1).split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '' && index < segments.length - 1) {
      return 'it holds an empty segment (//), which URL parsers read as another host';
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(segment)) {
      return 'it holds a % that starts no percent-encoded byte';
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return `it holds percent-encoded bytes that are no UTF-8 text in ${JSON.stringify(segment)}`;
    }
    if (decoded === '.' || decoded === '..') {
      return `it holds the dot segment ${JSON.stringify(segment)}, which climbs out of the API path`;
    }
    if (decoded.includes('/') || decoded.includes('\\')) {
      return `it holds an encoded / or \\ in ${JSON.stringify(segment)}`;
    }
  }
  return undefined;
}

/**
 * Checks that a route path stays below the API URL.
 *
 * @param what how the operator gave the route, e.g. `--read-route`, for the message
 * @param received the value as given, for the message
 * @throws CliError (exit 2) saying why the path would leave the API's origin or base path
 */
export function checkRoutePath(path: string, what: string, received: string = path): void {
  const problem = routePathProblem(path);
  if (problem !== undefined) {
    throw usageError(
      'ERR_ROUTE_OUTSIDE_API',
      `${what} must be a path below the API URL, but ${problem} (received: ${JSON.stringify(received)}). Give a resource path of the API, e.g. "GET /items/{id}".`,
    );
  }
}

/**
 * Parses `--burst`: a whole number from 1 to {@link MAX_BURST}.
 *
 * @throws CliError (exit 2) otherwise
 */
export function parseBurst(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value.trim()) || count < 1 || count > MAX_BURST) {
    throw usageError('ERR_BAD_BURST', `--burst must be a whole number from 1 to ${MAX_BURST} (received: ${JSON.stringify(value)}).`);
  }
  return count;
}

/** What to check. */
export interface SmokeOptions {
  /** The stage's invoke URL (`ApiUrl`), already checked with `parseSecureUrl`. */
  readonly apiUrl: URL;
  /** A route the read scope allows. */
  readonly readRoute: SmokeRoute;
  /** A route that needs the write scope, which the smoke token does not hold. */
  readonly writeRoute: SmokeRoute;
  /** The scope the smoke token holds. */
  readonly readScope: string;
  /** The scope the smoke token lacks. */
  readonly writeScope: string;
  /** Requests in the throttling burst; no burst when absent. */
  readonly burst?: number;
}

/** A token that holds the read scope but not the write scope. */
export interface SmokeToken {
  /** The access token. */
  readonly accessToken: string;
}

/** The outcome of one check, one row of the table. */
export interface SmokeCheck {
  /** What was tried, e.g. `GET /items without a token`. */
  readonly check: string;
  /** What a secure API answers. */
  readonly expected: string;
  /** What the API answered. */
  readonly actual: string;
  /** Whether `actual` matches `expected`. */
  readonly passed: boolean;
}

interface Answer {
  readonly status: number;
  readonly challenge?: string;
  readonly json: boolean;
}

/**
 * Runs the checks in order and returns one row each. A check that gets an unexpected answer is a
 * failed row; an API that cannot be reached at all ends the run with a network error (exit 6).
 *
 * @param onCheck called before each check with its name, for the progress indicator
 */
export async function runSmokeChecks(
  options: SmokeOptions,
  token: SmokeToken,
  seams: HttpSeams,
  onCheck: (check: string) => void = () => undefined,
): Promise<SmokeCheck[]> {
  const call = (route: SmokeRoute, accessToken?: string): Promise<Answer> => send(options.apiUrl, route, accessToken, seams);
  const read = `${options.readRoute.method} ${options.readRoute.path}`;
  const write = `${options.writeRoute.method} ${options.writeRoute.path}`;
  const checks: SmokeCheck[] = [];
  const run = async (check: string, expected: string, probe: () => Promise<{ actual: string; passed: boolean }>): Promise<void> => {
    onCheck(check);
    checks.push({ check, expected, ...(await probe()) });
  };

  await run(`${read} without a token`, '401 + WWW-Authenticate: Bearer', async () => {
    const answer = await call(options.readRoute);
    return { actual: describe(answer), passed: answer.status === 401 && isBearerChallenge(answer.challenge) };
  });
  await run(`${read} with a forged signature`, '401', async () => {
    const answer = await call(options.readRoute, forgeSignature(token.accessToken));
    return { actual: describe(answer), passed: answer.status === 401 };
  });
  await run(`${read} with ${options.readScope}`, '2xx', async () => {
    const answer = await call(options.readRoute, token.accessToken);
    return { actual: describe(answer), passed: answer.status >= 200 && answer.status < 300 };
  });
  await run(`${write} without ${options.writeScope}`, '403 + WWW-Authenticate: Bearer error="insufficient_scope"', async () => {
    const answer = await call(options.writeRoute, token.accessToken);
    return { actual: describe(answer), passed: answer.status === 403 && /\berror="insufficient_scope"/.test(answer.challenge ?? '') };
  });
  if (options.burst !== undefined) {
    const burst = options.burst;
    await run(`${read} burst of ${burst}`, '429 (JSON) at least once', async () => {
      const answers = await sendBurst(burst, () => call(options.readRoute, token.accessToken));
      const throttled = answers.filter((answer) => answer !== undefined && answer.status === 429);
      const counts = new Map<string, number>();
      for (const answer of answers) {
        const label = answer === undefined ? 'network error' : String(answer.status);
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      const summary = [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, count]) => `${label} × ${count}`)
        .join(', ');
      const notJson = throttled.length > 0 && !throttled[0]!.json ? ' (429 not JSON)' : '';
      return { actual: `${summary}${notJson}`, passed: throttled.length > 0 && notJson === '' };
    });
  }
  return checks;
}

/** Renders the checks as an aligned plain-text table followed by a one-line summary. */
export function renderSmokeTable(checks: readonly SmokeCheck[]): string {
  const header = ['CHECK', 'EXPECTED', 'ACTUAL', 'RESULT'];
  const rows = [header, ...checks.map((c) => [c.check, c.expected, c.actual, c.passed ? 'PASS' : 'FAIL'])];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const lines = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
  const failed = checks.filter((c) => !c.passed).length;
  const summary = failed === 0 ? `${checks.length} checks passed.` : `${failed} of ${checks.length} checks failed.`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}

/**
 * The request URL of `route` under the stage URL, with path parameters filled in: the route path is
 * appended to the API URL's path, never resolved against it, so it cannot reach another host or climb
 * above the stage.
 *
 * @throws CliError (exit 2) when the route path would leave the API URL's origin or base path
 */
export function routeUrl(apiUrl: URL, route: SmokeRoute): URL {
  checkRoutePath(route.path, 'the route');
  const basePath = apiUrl.pathname.replace(/\/+$/, '');
  const path = route.path
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? PATH_PARAMETER_VALUE : segment))
    .join('/');
  const url = new URL(`${apiUrl.origin}${basePath}${path}`);
  // The check above makes this impossible; a URL parser's surprise must still never carry the token away.
  if (url.origin !== apiUrl.origin || !url.pathname.startsWith(`${basePath}/`) || url.search !== '' || url.hash !== '') {
    throw usageError('ERR_ROUTE_OUTSIDE_API', `The route ${JSON.stringify(route.path)} resolves to ${url.origin}${url.pathname}, outside the API URL ${apiUrl.href}.`);
  }
  return url;
}

async function send(apiUrl: URL, route: SmokeRoute, accessToken: string | undefined, seams: HttpSeams): Promise<Answer> {
  const url = routeUrl(apiUrl, route);
  const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  try {
    const response = await seams.fetch(url, {
      method: route.method,
      headers: {
        accept: 'application/json',
        ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }),
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
      },
      body: hasBody ? '{}' : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(seams.timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, challenge: response.headers.get('www-authenticate') ?? undefined, json: isJson(response, text) };
  } catch (error) {
    throw toNetworkError(error, url) ?? error;
  }
}

async function sendBurst(count: number, request: () => Promise<Answer>): Promise<Array<Answer | undefined>> {
  const answers: Array<Answer | undefined> = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      // In a burst a refused connection is an answer to count, not a reason to stop.
      answers.push(await request().catch(() => undefined));
    }
  };
  await Promise.all(Array.from({ length: Math.min(BURST_CONCURRENCY, count) }, worker));
  return answers;
}

/**
 * The token with one bit of its signature flipped: same header, issuer, key id and claims, so only a
 * real signature check can reject it.
 */
export function forgeSignature(accessToken: string): string {
  const parts = accessToken.split('.');
  const signature = Buffer.from(parts[parts.length - 1] ?? '', 'base64url');
  if (signature.length === 0) {
    return `${accessToken}A`;
  }
  signature.writeUInt8(signature.readUInt8(0) ^ 0x01, 0);
  parts[parts.length - 1] = signature.toString('base64url');
  return parts.join('.');
}

function isBearerChallenge(challenge: string | undefined): boolean {
  return challenge !== undefined && /^\s*bearer\b/i.test(challenge);
}

function isJson(response: Response, text: string): boolean {
  if (/\bjson\b/i.test(response.headers.get('content-type') ?? '')) {
    return true;
  }
  try {
    JSON.parse(text);
    return text.trim().startsWith('{');
  } catch {
    return false;
  }
}

function describe(answer: Answer): string {
  if (answer.challenge === undefined) {
    return answer.status === 401 || answer.status === 403 ? `${answer.status}, no WWW-Authenticate` : String(answer.status);
  }
  const challenge = answer.challenge.length > 60 ? `${answer.challenge.slice(0, 57)}...` : answer.challenge;
  return `${answer.status} + WWW-Authenticate: ${challenge}`;
}
