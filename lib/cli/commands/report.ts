/** `secure-api report`: writes the security report of the stacks in a cloud assembly. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { readCloudAssembly } from '../cloud-assembly';
import type { CliContext } from '../context';
import { configError } from '../errors';
import { writeTextFile } from '../files';
import { buildStackReport, renderReportMarkdown } from '../report';

/** Adds the `report` command to `program`. */
export function addReportCommand(program: Command, context: CliContext): void {
  const { stdout, stderr } = context.streams;
  program
    .command('report')
    .description('Write a Markdown security report from cdk.out alone: access matrix, WAF rules, logging and retention, acknowledged cdk-nag rules.')
    .option('--cdk-out <dir>', 'the cloud assembly directory', 'cdk.out')
    .option('--stack <name>', 'report on this stack only (default: every stack)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addOption(new Option('--format <format>', 'Markdown for people, JSON for tools').choices(['markdown', 'json']).default('markdown'))
    .addHelpText('after', ['', 'Examples:', '  $ npx cdk synth && secure-api report --out SECURITY-REPORT.md', '  $ secure-api report --cdk-out cdk.out --stack Demo'].join('\n'))
    .action((flags: { cdkOut: string; stack?: string; out?: string; format: 'markdown' | 'json' }) => {
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
    });
}
