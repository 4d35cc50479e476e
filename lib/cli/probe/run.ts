/**
 * Sends the probe's cases to a running API and judges each answer. Requests go to the API's own origin
 * only (redirects are not followed, so no token is carried elsewhere), at most `budget` of them.
 */
import type { FetchLike } from '../http';
import { routeUrl, type SmokeRoute } from '../smoke';
import type { ProbeCase } from './plan';

/** The verdict on one case. */
export interface ProbeResult {
  readonly case: ProbeCase;
  /** `skipped`: the request budget ran out before it, or its token could not be had. */
  readonly outcome: 'pass' | 'fail' | 'skipped';
  /** The status received. */
  readonly status?: number;
  /** Why it failed, in a sentence. */
  readonly problem?: string;
}

/** A challenge of the Bearer scheme (RFC 6750 section 3), case-insensitive as the scheme is. */
const BEARER_CHALLENGE = /^\s*bearer(\s|,|$)/i;

/** Markers of internals leaking into an error body: stack frames, exception names, file paths. */
const INTERNAL_DETAIL = /\bat [\w.<>]+ \(|Error: |Exception|\/var\/task\/|node_modules/;

function judge(probeCase: ProbeCase, status: number, headers: Headers, body: string, https: boolean): string | undefined {
  if (status >= 400 && INTERNAL_DETAIL.test(body)) {
    return `the ${status} body shows internal detail`;
  }
  switch (probeCase.expect) {
    case 'challenge-401': {
      if (status !== 401) return `expected 401, got ${status}`;
      const challenge = headers.get('www-authenticate');
      return challenge !== null && BEARER_CHALLENGE.test(challenge) ? undefined : 'the 401 has no WWW-Authenticate: Bearer challenge';
    }
    case 'forbidden-403':
      return status === 403 ? undefined : `expected 403, got ${status}`;
    case 'not-refused':
      return status === 401 || status === 403 ? `expected the token to be accepted, got ${status}` : undefined;
    case 'security-headers': {
      if (status < 400) return `expected an error answer, got ${status}`;
      const missing = [
        /\bno-store\b/i.test(headers.get('cache-control') ?? '') ? undefined : 'Cache-Control: no-store',
        /^\s*nosniff\s*$/i.test(headers.get('x-content-type-options') ?? '') ? undefined : 'X-Content-Type-Options: nosniff',
        !https || /max-age=\d+/i.test(headers.get('strict-transport-security') ?? '') ? undefined : 'Strict-Transport-Security',
      ].filter((header) => header !== undefined);
      return missing.length === 0 ? undefined : `the ${status} lacks ${missing.join(', ')}`;
    }
    case 'too-large-413':
      return status === 413 ? undefined : `expected 413 for a body over the limit, got ${status}`;
    case 'invalid-400':
      return status === 400 ? undefined : `expected 400 for a body the model refuses, got ${status}`;
    case 'throttled-429':
      return status === 429 ? undefined : `none of the ${probeCase.burst ?? 1} requests sent at once got 429 (the last got ${status})`;
    case 'no-foreign-cors': {
      const allowed = headers.get('access-control-allow-origin');
      return allowed !== null && (allowed.trim() === '*' || allowed.trim() === probeCase.headers?.origin) ? `the preflight admits the foreign origin (Access-Control-Allow-Origin: ${allowed})` : undefined;
    }
  }
}

/**
 * Runs the cases in order.
 * @param cases the plan
 * @param apiUrl the stage URL (`https://<id>.execute-api.<region>.amazonaws.com/prod/`, or a local stage)
 * @param fetch the transport
 * @param budget the most requests to send
 */
export async function runProbe(cases: readonly ProbeCase[], apiUrl: URL, fetch: FetchLike, budget: number): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  let sent = 0;
  for (const probeCase of cases) {
    if (probeCase.skip !== undefined) {
      results.push({ case: probeCase, outcome: 'skipped', problem: probeCase.skip });
      continue;
    }
    const count = probeCase.burst ?? 1;
    if (sent + count > budget) {
      results.push({ case: probeCase, outcome: 'skipped', problem: `the request budget of ${budget} ran out` });
      continue;
    }
    sent += count;
    // An ANY method takes every verb: GET stands for them.
    const method = (probeCase.method ?? (probeCase.route.method === 'ANY' ? 'GET' : probeCase.route.method)) as SmokeRoute['method'];
    const url = routeUrl(apiUrl, { method, path: probeCase.route.path });
    if (url.host !== apiUrl.host) {
      // routeUrl already refuses this; a token, possibly a real one, must still never go anywhere else.
      throw new Error(`refusing to send a probe request to ${url.host}, which is not the API's host ${apiUrl.host}`);
    }
    const request = () =>
      fetch(url, {
        method,
        redirect: 'manual',
        ...(probeCase.body !== undefined ? { body: probeCase.body } : {}),
        headers: { accept: 'application/json', ...probeCase.headers, ...(probeCase.authorization === undefined ? {} : { authorization: probeCase.authorization }) },
      });
    // A burst goes out at once; its judged answer is a 429 if any got one, else the last.
    const answers = await Promise.all(Array.from({ length: count }, request));
    const response = answers.find((answer) => answer.status === 429) ?? answers.at(-1)!;
    await Promise.all(answers.filter((answer) => answer !== response).map((answer) => answer.arrayBuffer()));
    const body = await response.text();
    const problem = judge(probeCase, response.status, response.headers, body, apiUrl.protocol === 'https:');
    results.push({ case: probeCase, outcome: problem === undefined ? 'pass' : 'fail', status: response.status, ...(problem !== undefined ? { problem } : {}) });
  }
  return results;
}
