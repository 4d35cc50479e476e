/**
 * A stage on 127.0.0.1 in front of the real authorizer runtime (`createAuthorizer`, the code the bundle
 * is built from): REQUEST events, the policy judged against the method ARN under API Gateway's answers
 * (401 with a Bearer challenge, 403 with `insufficient_scope`), 200 from a stand-in backend. Faults break
 * it the ways `secure-api probe` must catch.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { ProbeIssuer } from '../../../../lib/cli/probe/hostile-tokens';
import type { ProbeRoute } from '../../../../lib/cli/probe/plan';
import { createAuthorizer } from '../../../../lambda/authorizer';
import type { AuthorizerConfig, PublicJwk } from '../../../../lambda/contract/config-types';
import { arnPatternMatches, compileRouteTable } from '../../../../lambda/contract/routes';
import { closerOf, listenLocally } from '../fixtures/servers';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The test issuer's public key in PEM, and its private key in PEM (for --signing-key). */
export const PROBE_PUBLIC_PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
export const PROBE_PRIVATE_PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** The issuer the stage trusts, with its signing key. */
export const PROBE_ISSUER: ProbeIssuer = {
  issuer: 'https://login.probe.example/',
  kind: 'oidc',
  clientId: 'probeclient1',
  audience: 'https://api.probe.example',
  signingKey: { kid: 'probe-1', privateKey: keys.privateKey },
};

/** The stage's routes: two protected with different scopes, one public. */
export const PROBE_ROUTES: ProbeRoute[] = [
  { method: 'GET', path: '/items', access: 'protected', scopes: ['items/read'] },
  { method: 'DELETE', path: '/items/{id}', access: 'protected', scopes: ['items/write'] },
  { method: 'GET', path: '/health', access: 'public', scopes: [] },
];

/** The authorizer configuration of the stage: the issuer's key, the protected routes. */
export const PROBE_CONFIG: AuthorizerConfig = {
  version: 1,
  issuers: [
    {
      kind: 'oidc',
      issuer: PROBE_ISSUER.issuer,
      clientIds: [PROBE_ISSUER.clientId],
      audiences: [PROBE_ISSUER.audience!],
      keys: [{ ...(keys.publicKey.export({ format: 'jwk' }) as PublicJwk), kid: 'probe-1', alg: 'RS256' }],
    },
  ],
  routes: PROBE_ROUTES.filter((route) => route.access === 'protected').map((route) => ({ method: route.method as 'GET', path: route.path, scopes: [...route.scopes] })),
};

/** Ways the stage can be broken. */
export interface ProbeTargetFaults {
  /** Lets requests to this route (`GET /items`) through without asking the authorizer. */
  readonly openRoute?: string;
  /** Leaves out `WWW-Authenticate` on 401. */
  readonly omitChallenge?: boolean;
  /** Answers a refused request with 500 and a stack trace instead. */
  readonly leakStack?: boolean;
  /**
   * The classic broken authorizer behind a token-keyed cache: a token's first allowed call is cached as an
   * Allow of the whole API (`.../*`) and served for every route.
   */
  readonly cacheWildcardAllow?: boolean;
  /** Leaves out Cache-Control and X-Content-Type-Options on error answers. */
  readonly omitSecurityHeaders?: boolean;
  /** Answers every CORS preflight with `Access-Control-Allow-Origin: *`. */
  readonly corsAnyOrigin?: boolean;
}

const ARN_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:probe12345/prod';

/** Starts the stage; its URL ends in `/prod/`. */
export async function startProbeTarget(faults: ProbeTargetFaults = {}, config: AuthorizerConfig = PROBE_CONFIG): Promise<{ url: URL; close: () => Promise<void>; requests: () => number }> {
  const authorizer = createAuthorizer(config, { log: () => {} });
  const table = compileRouteTable(config.routes);
  const cached = new Map<string, { Effect: string; Resource: string[] }[]>();
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const path = url.pathname.replace(/^\/prod/, '');
      const verb = request.method ?? 'GET';
      const route = table.match(verb as never, path);
      const security = faults.omitSecurityHeaders ? {} : { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
      const send = (status: number, headers: Record<string, string>, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json', ...(status >= 400 ? security : {}), ...headers }).end(JSON.stringify(body));
      if (verb === 'OPTIONS' && faults.corsAnyOrigin) return send(204, { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization' }, {});
      if (route === undefined) return send(403, {}, { message: 'Missing Authentication Token' });
      if (faults.openRoute === `${verb} ${route.config.path}`) return send(200, {}, { ok: true });
      const methodArn = `${ARN_PREFIX}/${verb}${path}`;
      const authorization = request.headers.authorization;
      let statements = faults.cacheWildcardAllow && authorization ? cached.get(authorization) : undefined;
      if (statements === undefined) {
        try {
          const answer = await authorizer.handle({
            type: 'REQUEST',
            methodArn,
            resource: route.config.path,
            path,
            httpMethod: verb,
            headers: authorization === undefined ? {} : { Authorization: authorization },
            multiValueHeaders: authorization === undefined ? {} : { Authorization: [authorization] },
            requestContext: { accountId: '123456789012', apiId: 'probe12345', stage: 'prod', httpMethod: verb, resourcePath: route.config.path, path: `/prod${path}` },
          });
          statements = answer.policyDocument.Statement as unknown as { Effect: string; Resource: string[] }[];
          const allowsHere = statements.some((statement) => statement.Effect === 'Allow' && statement.Resource.some((pattern) => arnPatternMatches(pattern, methodArn)));
          if (faults.cacheWildcardAllow && authorization && allowsHere) cached.set(authorization, [{ Effect: 'Allow', Resource: [`${ARN_PREFIX}/*`] }]);
        } catch {
          if (faults.leakStack) return send(500, {}, { message: 'Error: Unauthorized\n    at Object.handle (/var/task/index.js:3:4603)' });
          return send(401, faults.omitChallenge ? {} : { 'www-authenticate': 'Bearer' }, { message: 'Unauthorized' });
        }
      }
      const covers = (effect: string) => statements!.some((statement) => statement.Effect === effect && statement.Resource.some((pattern) => arnPatternMatches(pattern, methodArn)));
      if (covers('Deny') || !covers('Allow')) {
        return send(403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }, { message: 'Forbidden' });
      }
      return send(200, {}, { ok: true });
    })();
  });
  const port = await listenLocally(server);
  return { url: new URL(`http://127.0.0.1:${port}/prod/`), close: closerOf(server), requests: () => requests };
}
