import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from '../../../../lib/cli/errors';
import { LOCAL_DENY_LIST_TABLE, readDenyListFile, startLocalAws } from '../../../../lib/cli/serve/local-aws';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secure-api-local-aws-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const item = (pk: string): Record<string, unknown> => ({ pk: { S: pk }, reason: { S: 'test' } });

/** A signed-looking Scan, as the authorizer's SDK sends it. */
async function scan(url: string, exclusiveStartKey?: unknown): Promise<{ status: number; body: { Items?: Array<{ pk: { S: string } }>; LastEvaluatedKey?: unknown; message?: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'x-amz-target': 'DynamoDB_20120810.Scan', authorization: 'AWS4-HMAC-SHA256 Credential=test', 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ TableName: LOCAL_DENY_LIST_TABLE, ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }) }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

describe('readDenyListFile', () => {
  test('error flow: a named pipe, a directory and a device are refused at once, without waiting for a writer', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);

    expect(readDenyListFile(fifo)).toBe('is not a regular file');
    expect(readDenyListFile(dir)).toBe('is not a regular file');
    expect(readDenyListFile('/dev/zero')).toBe('is not a regular file');
    expect(readDenyListFile(join(dir, 'absent.json'))).toBe('cannot be read (ENOENT)');
  });

  test('error flow: a file larger than 16 MiB is refused without being read', () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, '[]');
    truncateSync(big, 100 * 1024 * 1024);

    expect(readDenyListFile(big)).toBe('is larger than 16 MiB (received: 104857600 bytes); a deny list the authorizer reads (10000 items at most) is far smaller');
  });

  test('error flow: two items with the same pk are refused, as DynamoDB holds one item per key', () => {
    const file = join(dir, 'deny.json');
    writeFileSync(file, JSON.stringify({ Items: [item('sub#a'), item('sub#b'), item('sub#a')] }));

    expect(readDenyListFile(file)).toBe('holds item 0 and item 2 with the same "pk" ("sub#a"); a table holds one item per key');
  });

  test('happy flow: a regular file of items is read', () => {
    const file = join(dir, 'deny.json');
    writeFileSync(file, JSON.stringify([item('sub#a'), item('client#b')]));

    expect(readDenyListFile(file)).toEqual([item('sub#a'), item('client#b')]);
  });
});

describe('startLocalAws', () => {
  test('error flow: a deny-list file that is a named pipe is refused at startup (exit 3)', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);

    const error = await startLocalAws({ denyListFile: fifo }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: ExitCode.Config, message: `The deny-list file ${fifo} is not a regular file.` });
  });

  test('error flow: a deny-list file replaced by a named pipe while serving answers the Scan with a 500 at once, and a file again serves it again', async () => {
    const file = join(dir, 'deny.json');
    writeFileSync(file, JSON.stringify([item('sub#a')]));
    const local = await startLocalAws({ denyListFile: file });
    try {
      expect((await scan(local.url)).body.Items).toEqual([item('sub#a')]);

      unlinkSync(file);
      execFileSync('mkfifo', [file]);
      expect(await scan(local.url)).toEqual({ status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'the local deny-list file is not a regular file' } });

      unlinkSync(file);
      writeFileSync(file, JSON.stringify([item('sub#b')]));
      expect((await scan(local.url)).body.Items).toEqual([item('sub#b')]);
    } finally {
      await local.close();
    }
  });
});
