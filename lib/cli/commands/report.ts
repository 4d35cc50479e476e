/** `secure-api report`: writes the security report of the stacks in a cloud assembly. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { readCloudAssembly } from '../cloud-assembly';
import type { CliContext } from '../context';
import { writeTextFile } from '../files';
import { configError, ExitCode } from '../errors';
import { buildStackReport, renderReportMarkdown } from '../report';
import type { StackReport } from '../report/model';

/** Adds the `report` command to `program`. */
/** Which unacknowledged findings of the API standard end the command with exit code 1. */
const FAIL_ON = ['error', 'warning', 'none'] as const;

/**
 * The failed rules of the standard at or above the `failOn` level, as `<stack>: <rule id>` lines.
 * @param reports the stack reports
 * @param failOn `error` (error-level rules), `warning` (both levels) or `none`
 */
export function standardViolations(reports: readonly StackReport[], failOn: (typeof FAIL_ON)[number]): string[] {
  if (failOn === 'none') {
    return [];
  }
  return reports.flatMap((report) =>
    report.standard
      .filter((rule) => rule.status === 'fail' && (failOn === 'warning' || rule.level === 'error'))
      .map((rule) => `${report.stackName}: ${rule.id} (${rule.results.filter((result) => result.status === 'fail').length} resource(s))`),
  );
}

export function addReportCommand(program: Command, context: CliContext, setExitCode: (code: number) => void): void {
  const { stdout, stderr } = context.streams;
  program
    .command('report')
    .description(
      'Write a security report of every API in cdk.out (REST, HTTP and WebSocket APIs, function URLs), from cdk.out alone: access matrix, WAF rules, logging and retention, acknowledged rules, and the API standard.',
    )
    .option('--cdk-out <dir>', 'the cloud assembly directory', 'cdk.out')
    .option('--stack <name>', 'report on this stack only (default: every stack)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addOption(new Option('--format <format>', 'Markdown for people, JSON for tools').choices(['markdown', 'json']).default('markdown'))
    .addOption(
      new Option('--fail-on <level>', 'exit with 1 when a rule of the API standard fails, unacknowledged, at this level or above').choices([...FAIL_ON]).default('none'),
    )
    .addHelpText('after', ['', 'Examples:', '  $ npx cdk synth && secure-api report --out SECURITY-REPORT.md', '  $ secure-api report --cdk-out cdk.out --stack Demo', '  $ secure-api report --format json --fail-on error > report.json'].join('\n'))
    .action((flags: { cdkOut: string; stack?: string; out?: string; format: 'markdown' | 'json'; failOn: (typeof FAIL_ON)[number] }) => {
      const all = readCloudAssembly(resolve(context.cwd, flags.cdkOut), flags.cdkOut);
      const stacks = flags.stack === undefined ? all : all.filter((s) => [s.stackName, s.artifactId, s.displayName].includes(flags.stack!));
      if (stacks.length === 0) {
        throw configError(
          flags.stack === undefined ? 'ERR_NO_STACKS' : 'ERR_STACK_NOT_FOUND',
          flags.stack === undefined
            ? `${flags.cdkOut} holds no stack. Run \`npx cdk synth\` first.`
            : `${flags.cdkOut} has no stack ${flags.stack} (stacks: ${all.map((s) => s.stackName).join(', ') || 'none'}). Pass one of those to --stack.`,
        );
      }
      const reports = stacks.map(buildStackReport);
      const text = flags.format === 'json' ? `${JSON.stringify(reports, undefined, 2)}\n` : renderReportMarkdown(reports, { cdkOut: flags.cdkOut });
      if (flags.out === undefined) {
        stdout.write(text);
      } else {
        writeTextFile(resolve(context.cwd, flags.out), text, 'the report', 'Create the directory, or choose another --out.');
        stderr.write(`Wrote the report of ${reports.map((r) => r.stackName).join(', ')} to ${flags.out}.\n`);
      }
      const violations = standardViolations(reports, flags.failOn);
      if (violations.length > 0) {
        stderr.write(`The API standard fails (--fail-on ${flags.failOn}):\n${violations.map((line) => `  ${line}`).join('\n')}\n`);
        setExitCode(ExitCode.CheckFailed);
      }
    });
}
