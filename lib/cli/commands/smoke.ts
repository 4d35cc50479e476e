/** `secure-api smoke`: checks a deployed API end to end (401, 2xx, 403, and 429 on a burst). */
import { Command, Option } from 'commander';
import type { CliContext } from '../context';
import { ExitCode, usageError } from '../errors';
import { parseSecureUrl } from '../http';
import { withProgress } from '../io';
import { OutputKey, resolveSetting } from '../outputs';
import { parseBurst, parseSmokeRoute, renderSmokeTable, runSmokeChecks } from '../smoke';
import { machineToken } from './machine-token';
import { MachineFlags, addMachineOptions } from './options';
import { httpSeams, loadOutputs } from './settings';

type SmokeFlags = MachineFlags & {
  apiUrl?: string;
  readRoute: string;
  writeRoute: string;
  readScope?: string;
  writeScope?: string;
  burst?: string;
  format: 'table' | 'json';
};

/**
 * Adds the `smoke` command to `program`.
 * @param setExitCode records the exit code of a failed check
 */
export function addSmokeCommand(program: Command, context: CliContext, setExitCode: (code: number) => void): void {
  const { stdout, stderr } = context.streams;
  const smoke = program
    .command('smoke')
    .description('Check a deployed API end to end: 401 without a token, 2xx with the right scope, 403 without it, 429 on a burst.')
    .option('--api-url <url>', 'invoke URL of the stage (default: output ApiUrl)')
    .option('--read-route <route>', 'a route the read scope allows', 'GET /items')
    .option('--write-route <route>', 'a route that needs the write scope; called with a read-only token, so it must refuse', 'DELETE /items/{id}')
    .option('--read-scope <scope>', 'the scope the smoke token gets (default: output ItemsReadScope)')
    .option('--write-scope <scope>', 'the scope the write route needs (default: output ItemsWriteScope)')
    .option('--burst <n>', 'also send n requests at once and expect a 429 (1 to 500)')
    .addOption(new Option('--format <format>', 'table for people, JSON for pipelines').choices(['table', 'json']).default('table'))
    .option('--no-cache', 'neither read nor write the token cache');
  addMachineOptions(smoke);
  smoke.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ secure-api smoke',
      '  $ secure-api smoke --burst 200 --format json',
      '',
      'A route is a path below the API URL: {param} segments are called with the value secure-api-smoke; absolute',
      'URLs, //host, dot segments (also %2e), backslashes, queries and fragments are refused.',
    ].join('\n'),
  );
  smoke.action(async (flags: SmokeFlags) => {
    const trail = loadOutputs(context, flags);
    const apiUrlSetting = trail.record(resolveSetting(trail.outputs, { value: flags.apiUrl, flag: '--api-url', outputKey: OutputKey.ApiUrl }));
    const apiUrl = parseSecureUrl(apiUrlSetting.value, apiUrlSetting.source);
    const readScope = trail.require({ value: flags.readScope, flag: '--read-scope', outputKey: OutputKey.ItemsReadScope });
    const writeScope = trail.require({ value: flags.writeScope, flag: '--write-scope', outputKey: OutputKey.ItemsWriteScope });
    const readRoute = parseSmokeRoute(flags.readRoute, '--read-route');
    const writeRoute = parseSmokeRoute(flags.writeRoute, '--write-route');
    const burst = flags.burst === undefined ? undefined : parseBurst(flags.burst);
    if (readScope === writeScope) {
      throw usageError('ERR_SAME_SCOPES', `--read-scope and --write-scope must differ, or the 403 check cannot work (received: ${readScope} twice).`);
    }
    const { token: issued } = await machineToken(context, flags, trail, [readScope], false);
    const checks = await withProgress(stderr, 'Running smoke checks', (progress) =>
      runSmokeChecks({ apiUrl, readRoute, writeRoute, readScope, writeScope, burst }, issued, httpSeams(context, flags), (check) => progress.update(check)),
    );
    const passed = checks.every((check) => check.passed);
    stdout.write(flags.format === 'json' ? `${JSON.stringify({ apiUrl: apiUrl.href, passed, checks }, undefined, 2)}\n` : renderSmokeTable(checks));
    if (!passed) {
      setExitCode(ExitCode.CheckFailed);
    }
  });
}
