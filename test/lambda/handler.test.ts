import { CONFIG_ENV_VAR } from '../../lambda/contract/config-types';
import type { handler as Handler } from '../../lambda/handler';
import { cognitoIssuerConfig, testConfig } from '../fixtures/config';
import { tokenEvent } from '../fixtures/events';
import { testKey } from '../fixtures/keys';
import { cognitoAccessToken } from '../fixtures/tokens';

// The module object itself (not an import namespace), so its writeSync can be spied on as the handler calls it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

/**
 * Loads a fresh copy of the handler module with `config` in the environment, capturing what it writes to
 * file descriptor 1 (and failing on any use of the `process.stdout` stream, which the handler never creates).
 */
async function loadHandler(config: string | undefined): Promise<{ handler: typeof Handler; lines: string[]; restore: () => void }> {
  const lines: string[] = [];
  const writeSync = fs.writeSync;
  const spy = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (fd !== 1) return (writeSync as (...args: unknown[]) => number)(fd, chunk, ...rest);
    lines.push(...String(chunk).split('\n').filter((line) => line !== ''));
    return Buffer.byteLength(String(chunk));
  }) as typeof fs.writeSync);
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => {
    throw new Error('the handler wrote through process.stdout');
  });
  const previous = process.env[CONFIG_ENV_VAR];
  if (config === undefined) delete process.env[CONFIG_ENV_VAR];
  else process.env[CONFIG_ENV_VAR] = config;
  let handler: typeof Handler | undefined;
  try {
    await jest.isolateModulesAsync(async () => {
      handler = (await import('../../lambda/handler')).handler;
    });
  } finally {
    if (previous === undefined) delete process.env[CONFIG_ENV_VAR];
    else process.env[CONFIG_ENV_VAR] = previous;
  }
  return {
    handler: handler!,
    lines,
    restore: () => {
      spy.mockRestore();
      expect(stdout).not.toHaveBeenCalled();
      stdout.mockRestore();
    },
  };
}

describe('handler', () => {
  test('happy flow: the configuration is read from the environment once, at module load', async () => {
    const key = await testKey('RS256');
    const { handler, lines, restore } = await loadHandler(JSON.stringify(testConfig([cognitoIssuerConfig({ keys: [key.publicJwk] })])));
    try {
      expect(lines).toEqual([]);
      const answer = await handler(tokenEvent(`Bearer ${cognitoAccessToken(key)}`), { awsRequestId: 'req-h1' });
      expect(answer.principalId).toBe('4example5client6id7abcdefg');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'authorizer decision', requestId: 'req-h1', decision: 'allow' });
    } finally {
      restore();
    }
  });

  test('error flow: an invalid configuration is logged once, naming the setting, and every request fails closed', async () => {
    const { handler, lines, restore } = await loadHandler(JSON.stringify({ version: 1, issuers: [{ kind: 'cognito', issuer: 'https://idp.example.test' }], routes: [] }));
    try {
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        {
          level: 'error',
          msg: 'authorizer configuration invalid',
          code: 'ERR_CONFIG',
          // The bundle names the setting; the rule and the value are the constructs' message at synth.
          error: 'issuers[0].clientIds: invalid setting',
        },
      ]);
      for (const requestId of ['r1', 'r2']) {
        await expect(handler(tokenEvent('Bearer a.b.c'), { awsRequestId: requestId })).rejects.toEqual(new Error('Unauthorized'));
      }
      expect(lines.slice(1).map((line) => JSON.parse(line))).toEqual([
        expect.objectContaining({ requestId: 'r1', decision: 'unauthorized', reason: 'CONFIG_ERROR' }),
        expect.objectContaining({ requestId: 'r2', decision: 'unauthorized', reason: 'CONFIG_ERROR' }),
      ]);
    } finally {
      restore();
    }
  });

  test('error flow: no configuration at all fails closed the same way', async () => {
    const { handler, lines, restore } = await loadHandler(undefined);
    try {
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'authorizer configuration invalid', code: 'ERR_CONFIG', error: expect.stringContaining('configuration: none found') });
      await expect(handler({})).rejects.toEqual(new Error('Unauthorized'));
    } finally {
      restore();
    }
  });
});
