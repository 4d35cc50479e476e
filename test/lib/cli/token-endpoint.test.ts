/**
 * The client secret goes only to a token endpoint of the user pool, and the outputs file that names
 * the endpoint is trusted only if it is the operator's own: proven against hostile endpoints on
 * 127.0.0.1 that record every request and connection they get.
 */
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket, createServer as createTcpServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExitCode } from '../../../lib/cli/errors';
import { isPrivateGroup, outputsFileProblem, type AccountDatabase } from '../../../lib/cli/outputs';
import { cognitoParentDomains, isPoolTokenEndpoint, poolTokenEndpoints } from '../../../lib/cli/token-endpoint';
import { MACHINE_CLIENT_ID, STACK_NAME, TestDeployment, startTestDeployment } from './fixtures/deployment';
import { RecordedRequest, startRecordingServer } from './fixtures/smoke';

/** A token endpoint that must never be called: it records every request it gets. */
interface Trap {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

async function startTrap(): Promise<Trap> {
  const server = await startRecordingServer(400, '{"error":"invalid_request"}');
  return { url: `http://127.0.0.1:${server.port}/oauth2/token`, requests: server.requests, close: server.close };
}

let deployment: TestDeployment;
let trap: Trap;

beforeEach(async () => {
  deployment = await startTestDeployment();
  trap = await startTrap();
});

afterEach(async () => {
  await Promise.all([deployment.close(), trap.close()]);
});

const outputsPath = (): string => join(deployment.dir, 'outputs.json');

function writeOutputs(values: Record<string, string>): void {
  writeFileSync(outputsPath(), JSON.stringify({ [STACK_NAME]: { ...deployment.outputs, ...values } }));
}

describe('the token endpoint must be a domain of the user pool', () => {
  test('error flow: an outputs file naming another token endpoint gets no client secret, not even read from AWS (exit 3)', async () => {
    writeOutputs({ TokenEndpoint: trap.url });

    const result = await deployment.run(['token', '--scope', 'items/read']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(
      deployment.outputsNote('TokenEndpoint', 'MachineClientId', 'UserPoolId') +
        `secure-api: The token endpoint ${trap.url} (from output TokenEndpoint of stack ${STACK_NAME} in ${outputsPath()}) is not a token endpoint of user pool ${deployment.cognito.userPoolId}, ` +
        `whose token endpoints are https://secure-api-demo.auth.eu-west-1.amazoncognito.com/oauth2/token, https://secure-api-demo.auth-fips.eu-west-1.amazoncognito.com/oauth2/token, ${deployment.tokenEndpoint.url.replace('http:', 'https:')}; ` +
        'the client secret was not sent. Correct the value, or pass --trust-token-endpoint <url> if you really use another token endpoint.\n',
    );
    expect(trap.requests).toEqual([]);
    expect(deployment.tokenEndpoint.requests).toEqual([]);
    expect(deployment.cognito.requests.map((request) => request.action)).toEqual(['DescribeUserPool']);
    expect(result.stdout + result.stderr).not.toContain(deployment.machineSecret);
  });

  test('error flow: an https token endpoint off the pool is refused before any connection to it', async () => {
    const connections: Socket[] = [];
    const tcp = createTcpServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      writeOutputs({ TokenEndpoint: `https://localhost:${(tcp.address() as AddressInfo).port}/oauth2/token` });

      const result = await deployment.run(['smoke', '--timeout', '2']);

      expect(result.code).toBe(ExitCode.Config);
      expect(result.stderr).toContain(`is not a token endpoint of user pool ${deployment.cognito.userPoolId}`);
      expect(connections).toHaveLength(0);
    } finally {
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  test('error flow: a --token-endpoint flag is checked too, and the message names the flag', async () => {
    const result = await deployment.run(['token', '--token-endpoint', trap.url]);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain(`secure-api: The token endpoint ${trap.url} (from --token-endpoint) is not a token endpoint of user pool`);
    expect(trap.requests).toEqual([]);
  });

  test('error flow: the same host with another path, a query or plain http is not the pool endpoint', async () => {
    const host = new URL(deployment.tokenEndpoint.url).host;
    for (const endpoint of [`http://${host}/oauth2/token/../authorize`, `http://${host}/oauth2/token?next=x`, `http://${host}/oauth2/tokens`]) {
      const result = await deployment.run(['token', '--no-cache', '--token-endpoint', endpoint]);

      expect(result.code).toBe(ExitCode.Config);
      expect(result.stderr).toContain('is not a token endpoint of user pool');
    }
    expect(deployment.tokenEndpoint.requests).toEqual([]);
  });

  test('error flow: a user pool without a domain has no token endpoint, so no secret is sent (exit 3)', async () => {
    deployment.cognito.domain = undefined;
    deployment.cognito.customDomain = undefined;

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain(
      `secure-api: User pool ${deployment.cognito.userPoolId} has no domain, so it has no token endpoint; the client secret was not sent to ${new URL(deployment.tokenEndpoint.url).origin}`,
    );
    expect(deployment.tokenEndpoint.requests).toEqual([]);
  });

  test('error flow: without cognito-idp:DescribeUserPool the check cannot run, so nothing is sent (exit 4)', async () => {
    deployment.cognito.deniedActions.add('DescribeUserPool');

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(result.stderr).toContain(`Your AWS identity may not call cognito-idp:DescribeUserPool on user pool ${deployment.cognito.userPoolId} in eu-west-1.`);
    expect(deployment.tokenEndpoint.requests).toEqual([]);
  });

  test('happy flow: a cached token needs no check and sends nothing', async () => {
    await deployment.run(['token', '--scope', 'items/read']);
    deployment.cognito.requests.length = 0;

    const again = await deployment.run(['token', '--scope', 'items/read']);

    expect(again.code).toBe(ExitCode.Ok);
    expect(deployment.cognito.requests).toEqual([]);
    expect(deployment.tokenEndpoint.requests).toHaveLength(1);
  });

  test('--trust-token-endpoint sends the secret to the endpoint typed on the command line, without DescribeUserPool, and says so', async () => {
    deployment.cognito.customDomain = undefined;

    const result = await deployment.run(['token', '--trust-token-endpoint', deployment.tokenEndpoint.url]);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toBe(
      deployment.outputsNote('MachineClientId', 'UserPoolId') +
        `secure-api: --trust-token-endpoint: ${deployment.tokenEndpoint.url} is not checked against the domains of user pool ${deployment.cognito.userPoolId}.\n`,
    );
    expect(deployment.cognito.requests.map((request) => request.action)).toEqual(['DescribeUserPoolClient']);
    expect(deployment.tokenEndpoint.requests).toHaveLength(1);
  });

  test('throws a usage error (exit 2) for --trust-token-endpoint with --token-endpoint, before any call', async () => {
    const result = await deployment.run(['token', '--token-endpoint', deployment.tokenEndpoint.url, '--trust-token-endpoint', trap.url]);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe('secure-api: Pass either --token-endpoint or --trust-token-endpoint, not both: both name the token endpoint.\n');
    expect(deployment.cognito.requests).toEqual([]);
    expect(trap.requests).toEqual([]);
  });

  test('--verbose names every setting and its source (flag, outputs file and stack output, default chain) and the check, never the secret', async () => {
    const result = await deployment.run(['token', '--verbose', '--client-id', MACHINE_CLIENT_ID], { env: { AWS_PROFILE: 'operator' } });

    expect(result.code).toBe(ExitCode.Ok);
    const fromOutputs = (key: string): string => `(from output ${key} of stack ${STACK_NAME} in ${outputsPath()})`;
    expect(result.stderr).toBe(
      [
        `secure-api: TokenEndpoint = ${deployment.tokenEndpoint.url} ${fromOutputs('TokenEndpoint')}`,
        `secure-api: MachineClientId = ${MACHINE_CLIENT_ID} (from --client-id)`,
        `secure-api: UserPoolId = ${deployment.cognito.userPoolId} ${fromOutputs('UserPoolId')}`,
        'secure-api: Region = eu-west-1 (from the user pool id)',
        'secure-api: AWS profile = operator (from environment variable AWS_PROFILE)',
        `secure-api: Token endpoint ${deployment.tokenEndpoint.url} is a domain of user pool ${deployment.cognito.userPoolId} (DescribeUserPool).`,
        '',
      ].join('\n'),
    );
    expect(result.stderr).not.toContain(deployment.machineSecret);
  });
});

describe('pool token endpoints', () => {
  test.each([
    ['eu-west-1', ['auth.eu-west-1.amazoncognito.com', 'auth-fips.eu-west-1.amazoncognito.com']],
    ['us-gov-west-1', ['auth-fips.us-gov-west-1.amazoncognito.com']],
    ['cn-north-1', ['auth.cn-north-1.amazoncognito.com.cn']],
  ])('the prefix domains of %s live under %j', (region, parents) => {
    expect(cognitoParentDomains(region)).toEqual(parents);
  });

  test('prefix and custom domain each give a token endpoint', () => {
    expect(poolTokenEndpoints({ prefix: 'demo', custom: 'Auth.Example.com' }, 'eu-central-1').map((url) => url.href)).toEqual([
      'https://demo.auth.eu-central-1.amazoncognito.com/oauth2/token',
      'https://demo.auth-fips.eu-central-1.amazoncognito.com/oauth2/token',
      'https://auth.example.com/oauth2/token',
    ]);
    expect(poolTokenEndpoints({}, 'eu-west-1')).toEqual([]);
  });

  const expected = poolTokenEndpoints({ prefix: 'demo', custom: 'auth.example.com' }, 'eu-west-1');

  test.each([
    'https://demo.auth.eu-west-1.amazoncognito.com/oauth2/token',
    'https://DEMO.auth.eu-west-1.amazoncognito.com:443/oauth2/token',
    'https://auth.example.com/oauth2/token',
  ])('accepts %s', (endpoint) => {
    expect(isPoolTokenEndpoint(new URL(endpoint), expected)).toBe(true);
  });

  test.each([
    'https://demo.auth.eu-west-1.amazoncognito.com.evil.example/oauth2/token',
    'https://evil.example/demo.auth.eu-west-1.amazoncognito.com/oauth2/token',
    'https://other.auth.eu-west-1.amazoncognito.com/oauth2/token',
    'https://demo.auth.us-east-1.amazoncognito.com/oauth2/token',
    'https://demo.auth.eu-west-1.amazoncognito.com:8443/oauth2/token',
    'https://demo.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
    'https://demo.auth.eu-west-1.amazoncognito.com/oauth2/token?x=1',
    'https://user:pass@demo.auth.eu-west-1.amazoncognito.com/oauth2/token',
    'http://demo.auth.eu-west-1.amazoncognito.com/oauth2/token',
    'https://example.com/oauth2/token',
  ])('refuses %s', (endpoint) => {
    expect(isPoolTokenEndpoint(new URL(endpoint), expected)).toBe(false);
  });
});

describe('the outputs file must be the operator’s own', () => {
  const posix = process.platform === 'win32' ? test.skip : test;
  const asRoot = process.platform !== 'win32' && process.getuid?.() === 0 ? test : test.skip;

  posix.each([
    ['0646', 0o646, 'can be written by every user (mode 0646)'],
    ['0666', 0o666, 'can be written by its group and every user (mode 0666)'],
  ])('error flow: a file with mode %s is refused before any call (exit 3)', async (_label, mode, problem) => {
    chmodSync(outputsPath(), mode);

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(
      `secure-api: The outputs file ${outputsPath()} ${problem}, so someone else could choose where your client secret and tokens go. Make it yours and private (\`chmod go-w\`, \`chown\`), or pass the values as flags.\n`,
    );
    expect(deployment.cognito.requests).toEqual([]);
    expect(deployment.tokenEndpoint.requests).toEqual([]);
  });

  asRoot('error flow: a file its group may write is refused before any call when the group is not the user\'s private group (exit 3)', async () => {
    // gid 4242 has no entry in /etc/group on any machine this runs on, so it is nobody's private group.
    chownSync(outputsPath(), 0, 4242);
    chmodSync(outputsPath(), 0o664);

    const result = await deployment.run(['token']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain(`The outputs file ${outputsPath()} can be written by its group (mode 0664, gid 4242, which is not your private group)`);
    expect(deployment.cognito.requests).toEqual([]);
  });

  posix('happy flow: a file only its owner can write is read (0644 or 0600)', async () => {
    chmodSync(outputsPath(), 0o644);
    expect((await deployment.run(['token', '--no-cache'])).code).toBe(ExitCode.Ok);
    chmodSync(outputsPath(), 0o600);
    expect((await deployment.run(['token', '--no-cache'])).code).toBe(ExitCode.Ok);
  });

  asRoot('error flow: a file owned by another user is refused (exit 3)', async () => {
    chownSync(outputsPath(), 4242, 4242);

    const result = await deployment.run(['smoke']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain(`The outputs file ${outputsPath()} is owned by another user (uid 4242, you are uid 0)`);
    expect(deployment.cognito.requests).toEqual([]);
  });

  test('outputsFileProblem: owner or root, no write bit for others, and for the group only when it is the user\'s private group', () => {
    const accounts = (): AccountDatabase => ({
      passwd: 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:100::/home/bob:/bin/sh\ncarol:x:1002:100::/home/carol:/bin/sh\n',
      group: 'root:x:0:\nalice:x:1000:\nusers:x:100:\ndev:x:2000:alice,bob\nsolo:x:2001:alice\nempty:x:2002:\n',
    });
    expect(outputsFileProblem({ uid: 1000, gid: 1000, mode: 0o100644 }, 1000, accounts)).toBeUndefined();
    expect(outputsFileProblem({ uid: 0, gid: 0, mode: 0o100644 }, 1000, accounts)).toBeUndefined();
    expect(outputsFileProblem({ uid: 1001, gid: 100, mode: 0o100600 }, 1000, accounts)).toBe('is owned by another user (uid 1001, you are uid 1000)');
    // Ubuntu's umask 002: alice's own group, hers alone.
    expect(outputsFileProblem({ uid: 1000, gid: 1000, mode: 0o100664 }, 1000, accounts)).toBeUndefined();
    // A group shared as primary group (users), shared by members (dev), with no member at all (empty), or unknown.
    expect(outputsFileProblem({ uid: 1001, gid: 100, mode: 0o100620 }, 1001, accounts)).toBe('can be written by its group (mode 0620, gid 100, which is not your private group)');
    expect(outputsFileProblem({ uid: 1000, gid: 2000, mode: 0o100664 }, 1000, accounts)).toBe('can be written by its group (mode 0664, gid 2000, which is not your private group)');
    expect(outputsFileProblem({ uid: 1000, gid: 2002, mode: 0o100664 }, 1000, accounts)).toBe('can be written by its group (mode 0664, gid 2002, which is not your private group)');
    expect(outputsFileProblem({ uid: 1000, gid: 3000, mode: 0o100664 }, 1000, accounts)).toBe('can be written by its group (mode 0664, gid 3000, which is not your private group)');
    // A supplementary group whose only member is the user is hers alone.
    expect(outputsFileProblem({ uid: 1000, gid: 2001, mode: 0o100664 }, 1000, accounts)).toBeUndefined();
    // Another user's private group, and any file everyone may write.
    expect(outputsFileProblem({ uid: 0, gid: 1000, mode: 0o100664 }, 1001, accounts)).toBe('can be written by its group (mode 0664, gid 1000, which is not your private group)');
    expect(outputsFileProblem({ uid: 1000, gid: 1000, mode: 0o100666 }, 1000, accounts)).toBe('can be written by its group and every user (mode 0666)');
    // Unreadable account files: no group is private.
    expect(outputsFileProblem({ uid: 1000, gid: 1000, mode: 0o100664 }, 1000, () => ({ passwd: '', group: '' }))).toBe('can be written by its group (mode 0664, gid 1000, which is not your private group)');
  });

  test('isPrivateGroup skips comments and blank lines, and counts an account it cannot read as someone else', () => {
    const passwd = '# users\n\nalice:x:1000:1000::/home/alice:/bin/bash\n';
    const group = '# groups\nalice:x:1000:\nodd:x::alice\n';
    expect(isPrivateGroup(1000, 1000, { passwd, group })).toBe(true);
    expect(isPrivateGroup(0, 1000, { passwd, group })).toBe(false);
    expect(isPrivateGroup(1000, 1000, { passwd: `${passwd}ghost:x::1000::/:/bin/false\n`, group })).toBe(false);
  });

  test('the outputs note names the absolute path of the file that was read', async () => {
    expect(readFileSync(outputsPath(), 'utf8')).toContain(deployment.tokenEndpoint.url);

    const result = await deployment.run(['token']);

    expect(result.stderr).toBe(`secure-api: Using TokenEndpoint, MachineClientId, UserPoolId from the outputs of stack ${STACK_NAME} in ${outputsPath()}.\n`);
  });
});
