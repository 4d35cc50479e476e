/** `secure-api token`: prints a client-credentials access token of the machine client. */
import { Command, Option } from 'commander';
import type { CliContext } from '../context';
import { TOKEN_FORMATS, TokenFormat, formatToken } from '../token';
import { machineToken } from './machine-token';
import { MachineFlags, addMachineOptions, collect } from './options';
import { loadOutputs } from './settings';

/** Adds the `token` command to `program`. */
export function addTokenCommand(program: Command, context: CliContext): void {
  const { stdout, stderr } = context.streams;
  const token = program
    .command('token')
    .description('Print a client-credentials access token of the machine client (cached until shortly before it expires).')
    .addOption(new Option('--scope <scope>', 'scope to request; repeat for several').argParser(collect).default([], 'every scope the client may have'))
    .addOption(new Option('--format <format>', 'raw token, ready HTTP header, or JSON with expiry').choices(TOKEN_FORMATS).default('raw'))
    .option('--show-secret', 'also print the client secret (to stderr, or in the JSON); keep it out of logs')
    .option('--no-cache', 'neither read nor write the token cache');
  addMachineOptions(token);
  token.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ secure-api token --scope items/read',
      '  $ curl -H "$(secure-api token --scope items/read --format header)" "$API_URL/items"',
      '',
      'The cache lives in $XDG_CACHE_HOME/cdk-secure-api (default ~/.cache/cdk-secure-api), one 0600 file per',
      'token endpoint, user pool, client and scopes. It holds the token, never the client secret.',
      '',
      'The client secret is only sent to a token endpoint of the user pool (checked with DescribeUserPool), and',
      'an outputs file is only read if it is yours and others cannot write it.',
    ].join('\n'),
  );
  token.action(async (flags: MachineFlags & { scope: string[]; format: TokenFormat; showSecret?: boolean }) => {
    const trail = loadOutputs(context, flags);
    const { token: issued, clientId } = await machineToken(context, flags, trail, flags.scope, flags.showSecret === true);
    stdout.write(formatToken(issued, flags.format, clientId, context.now()));
    if (flags.showSecret && flags.format !== 'json') {
      stderr.write(`Client secret of ${clientId}: ${issued.clientSecret}\n`);
    }
  });
}
