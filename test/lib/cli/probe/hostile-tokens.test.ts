import { generateKeyPairSync } from 'node:crypto';
import { accessTokenClaims, hostileTokens, hostileTokensFromIssued, SIGNING_KEY_TOKENS, validAccessToken, type ProbeIssuer } from '../../../../lib/cli/probe/hostile-tokens';
import type { AuthorizerConfig, PublicJwk } from '../../../../lambda/contract/config-types';
import { removeDir, runBundle, SHIPPED_BUNDLE, stageBundle, type BundleRun } from '../../../fixtures/bundle';
import { methodArn, requestEvent } from '../../../fixtures/events';

const NOW = Math.floor(Date.now() / 1000);
const ROUTE = { method: 'GET', resource: '/items/{id}' };
const SCOPES = ['items/read'];

function probeIssuer(kind: 'cognito' | 'oidc'): { issuer: ProbeIssuer; jwk: PublicJwk; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `probe-${kind}`;
  const issuer: ProbeIssuer = {
    issuer: kind === 'cognito' ? 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Probe1' : 'https://login.probe.example/',
    kind,
    clientId: 'probeclient1',
    ...(kind === 'oidc' ? { audience: 'https://api.probe.example' } : {}),
    signingKey: { kid, privateKey },
  };
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as PublicJwk), kid, alg: 'RS256', use: 'sig' };
  return { issuer, jwk, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** Runs every token of the catalog through the shipped authorizer bundle, configured to trust `issuer` only. */
async function judge(kind: 'cognito' | 'oidc'): Promise<{ ids: string[]; run: BundleRun; validIndex: number }> {
  const { issuer, jwk, pem } = probeIssuer(kind);
  const config: AuthorizerConfig = {
    version: 1,
    issuers: [
      kind === 'cognito'
        ? { kind, issuer: issuer.issuer, clientIds: [issuer.clientId], keys: [jwk] }
        : { kind, issuer: issuer.issuer, clientIds: [issuer.clientId], audiences: [issuer.audience!], keys: [jwk] },
    ],
    routes: [{ method: 'GET', path: ROUTE.resource, scopes: SCOPES }],
  };
  const hostile = hostileTokens(issuer, SCOPES, NOW, pem);
  const events = [...hostile.map((token) => requestEvent({ ...ROUTE, authorization: token.authorization })), requestEvent({ ...ROUTE, authorization: `Bearer ${validAccessToken(issuer, SCOPES, NOW)}` })];
  const asset = stageBundle(SHIPPED_BUNDLE, config);
  try {
    return { ids: hostile.map((token) => token.id), run: await runBundle(asset, events), validIndex: hostile.length };
  } finally {
    removeDir(asset);
  }
}

describe.each(['cognito', 'oidc'] as const)('hostile tokens of a %s issuer, judged by the shipped authorizer bundle', (kind) => {
  let judged: Awaited<ReturnType<typeof judge>>;
  beforeAll(async () => {
    judged = await judge(kind);
  });

  test('the valid token of the same issuer and scopes is allowed, so each refusal is the defect’s', () => {
    const answer = (judged.run.results[judged.validIndex] as { answer: { policyDocument: { Statement: { Effect: string; Resource: string[] }[] } } }).answer;
    expect(answer.policyDocument.Statement.some((statement) => statement.Effect === 'Allow' && statement.Resource.includes(methodArn('GET', '/items/*')))).toBe(true);
  });

  test('every hostile token is refused with 401 (Unauthorized), each for the reason its defect names', () => {
    const reasons = judged.run.logLines.flatMap((line) => {
      const parsed = JSON.parse(line) as { decision?: string; reason?: string };
      return parsed.decision === undefined ? [] : [parsed.reason];
    });
    expect(judged.ids.map((id, i) => [id, judged.run.results[i]])).toEqual(judged.ids.map((id) => [id, { error: 'Unauthorized' }]));
    expect(Object.fromEntries(judged.ids.map((id, i) => [id, reasons[i]]))).toEqual({
      'no-token': 'MISSING_TOKEN',
      'empty-bearer': 'MALFORMED_TOKEN',
      'not-a-jwt': 'MALFORMED_TOKEN',
      'basic-scheme': 'MALFORMED_TOKEN',
      'two-tokens': 'MALFORMED_TOKEN',
      'alg-none': 'UNSUPPORTED_ALG',
      'hs256-public-key': 'UNSUPPORTED_ALG',
      'foreign-key': 'BAD_SIGNATURE',
      'unknown-kid': 'UNKNOWN_KID',
      'tampered-payload': 'BAD_SIGNATURE',
      expired: 'EXPIRED',
      'not-yet-valid': 'NOT_YET_VALID',
      'issued-in-future': 'ISSUED_IN_FUTURE',
      'wrong-issuer': 'UNKNOWN_ISSUER',
      'wrong-client': kind === 'cognito' ? 'WRONG_CLIENT' : 'WRONG_AUDIENCE',
      'id-token': kind === 'cognito' ? 'WRONG_TOKEN_USE' : 'UNEXPECTED_TYP',
      'no-sub': 'MISSING_CLAIM',
      'long-lived': 'LIFETIME_TOO_LONG',
    });
  });
});

test('each hostile token differs from a valid one: same claims, one defect', () => {
  const { issuer, pem } = probeIssuer('cognito');
  const tokens = hostileTokens(issuer, SCOPES, NOW, pem);
  expect(new Set(tokens.map((token) => token.id)).size).toBe(tokens.length);
  const claims = accessTokenClaims(issuer, SCOPES, NOW);
  expect(claims).toMatchObject({ iss: issuer.issuer, token_use: 'access', client_id: issuer.clientId, scope: 'items/read', exp: NOW + 300 });
  const expired = JSON.parse(Buffer.from(tokens.find((token) => token.id === 'expired')!.authorization!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  expect(Object.keys(expired).sort()).toEqual(Object.keys(claims).sort());
});

test('without the signing key, the hostile tokens made from a real token are refused by the shipped bundle for their defect, and the others are marked, not made', async () => {
  const { issuer, jwk } = probeIssuer('cognito');
  const config: AuthorizerConfig = {
    version: 1,
    issuers: [{ kind: 'cognito', issuer: issuer.issuer, clientIds: [issuer.clientId], keys: [jwk] }],
    routes: [{ method: 'GET', path: ROUTE.resource, scopes: SCOPES }],
  };
  const tokens = hostileTokensFromIssued(validAccessToken(issuer, SCOPES, NOW));
  expect(tokens.map((token) => token.id)).toEqual(hostileTokens(issuer, SCOPES, NOW, '').map((token) => token.id));
  const made = tokens.filter((token) => token.needsSigningKey !== true);
  expect(tokens.filter((token) => token.needsSigningKey === true).map((token) => [token.id, token.authorization])).toEqual([...SIGNING_KEY_TOKENS].map((id) => [id, undefined]));
  const asset = stageBundle(SHIPPED_BUNDLE, config);
  try {
    const run = await runBundle(asset, made.map((token) => requestEvent({ ...ROUTE, authorization: token.authorization })));
    const reasons = run.logLines.flatMap((line) => {
      const parsed = JSON.parse(line) as { decision?: string; reason?: string };
      return parsed.decision === undefined ? [] : [parsed.reason];
    });
    expect(Object.fromEntries(made.map((token, i) => [token.id, [run.results[i], reasons[i]]]))).toEqual({
      'no-token': [{ error: 'Unauthorized' }, 'MISSING_TOKEN'],
      'empty-bearer': [{ error: 'Unauthorized' }, 'MALFORMED_TOKEN'],
      'not-a-jwt': [{ error: 'Unauthorized' }, 'MALFORMED_TOKEN'],
      'basic-scheme': [{ error: 'Unauthorized' }, 'MALFORMED_TOKEN'],
      'two-tokens': [{ error: 'Unauthorized' }, 'MALFORMED_TOKEN'],
      'alg-none': [{ error: 'Unauthorized' }, 'UNSUPPORTED_ALG'],
      'foreign-key': [{ error: 'Unauthorized' }, 'BAD_SIGNATURE'],
      'tampered-payload': [{ error: 'Unauthorized' }, 'BAD_SIGNATURE'],
    });
  } finally {
    removeDir(asset);
  }
});
