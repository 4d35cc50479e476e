import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regionOfUserPool } from '../../../lib/cli/cognito';
import { CliError, ExitCode } from '../../../lib/cli/errors';
import { loadStackOutputs, requireSetting } from '../../../lib/cli/outputs';

let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'secure-api-outputs-'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function write(name: string, content: unknown): void {
  writeFileSync(join(cwd, name), typeof content === 'string' ? content : JSON.stringify(content));
}

function failure(run: () => unknown): { code: string; exitCode: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) {
      return { code: error.code, exitCode: error.exitCode, message: error.message };
    }
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('stack outputs', () => {
  test('no file named and no outputs.json means flags only', () => {
    expect(loadStackOutputs({ cwd })).toBeUndefined();
  });

  test('outputs.json in the working directory is read by default, keeping string values only', () => {
    write('outputs.json', { Demo: { ApiUrl: 'https://x/prod/', Port: 443 } });

    expect(loadStackOutputs({ cwd })).toEqual({ stackName: 'Demo', file: 'outputs.json', path: join(cwd, 'outputs.json'), values: { ApiUrl: 'https://x/prod/' } });
  });

  test('of several stacks, the only one with our outputs is chosen', () => {
    write('outputs.json', { Network: { VpcId: 'vpc-1' }, Api: { UserPoolId: 'eu-west-1_A' } });

    expect(loadStackOutputs({ cwd })?.stackName).toBe('Api');
  });

  test('throws when several stacks could be meant, naming them and --stack', () => {
    write('outputs.json', { Blue: { UserPoolId: 'eu-west-1_A' }, Green: { UserPoolId: 'eu-west-1_B' } });

    expect(failure(() => loadStackOutputs({ cwd }))).toEqual({
      code: 'ERR_STACK_AMBIGUOUS',
      exitCode: ExitCode.Config,
      message: 'The outputs file outputs.json holds several stacks (Blue, Green). Choose one with --stack.',
    });
    expect(loadStackOutputs({ cwd, stack: 'Green' })?.values).toEqual({ UserPoolId: 'eu-west-1_B' });
  });

  test('throws when --stack names a stack the file does not hold', () => {
    write('out.json', { Blue: {} });

    expect(failure(() => loadStackOutputs({ cwd, file: 'out.json', stack: 'Red' })).message).toBe(
      'The outputs file out.json has no stack Red (stacks: Blue). Pass one of those to --stack.',
    );
  });

  test('throws when the file is not JSON, or not stack names to outputs', () => {
    write('broken.json', '{');
    write('array.json', [1, 2]);

    expect(failure(() => loadStackOutputs({ cwd, file: 'broken.json' })).code).toBe('ERR_OUTPUTS_MALFORMED');
    expect(failure(() => loadStackOutputs({ cwd, file: 'array.json' })).message).toBe(
      'The outputs file array.json must map stack names to their outputs, as `cdk deploy --outputs-file` writes it.',
    );
  });

  test('a flag wins over the outputs file', () => {
    const outputs = { stackName: 'Demo', file: 'outputs.json', path: '/work/outputs.json', values: { ApiUrl: 'https://from-file/' } };

    expect(requireSetting(outputs, { value: 'https://from-flag/', flag: '--api-url', outputKey: 'ApiUrl' })).toBe('https://from-flag/');
    expect(requireSetting(outputs, { flag: '--api-url', outputKey: 'ApiUrl' })).toBe('https://from-file/');
  });
});

describe('user pool region', () => {
  test.each([
    ['eu-west-1_AbC123', 'eu-west-1'],
    ['us-gov-west-1_Xyz9', 'us-gov-west-1'],
    ['ap-southeast-2_q1W2e3', 'ap-southeast-2'],
  ])('the region of %s is %s', (userPoolId, region) => {
    expect(regionOfUserPool(userPoolId)).toBe(region);
  });

  test.each(['AbC123', 'eu-west-1', 'eu-west-1_', 'EU-WEST-1_AbC', 'eu-west-1_Ab-C'])('throws for %s, which is not a user pool id', (userPoolId) => {
    expect(failure(() => regionOfUserPool(userPoolId))).toMatchObject({ code: 'ERR_BAD_USER_POOL_ID', exitCode: ExitCode.Config });
  });
});
