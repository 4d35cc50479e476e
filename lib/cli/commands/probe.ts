/** `secure-api probe`: attacks a running API's authentication and authorization, route by route. */
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { readCloudAssembly } from '../cloud-assembly';
import type { CliContext } from '../context';
import { configError, ExitCode, usageError } from '../errors';
import { writeTextFile } from '../files';
import { parseSecureUrl } from '../http';
import type { ProbeIssuer } from '../probe/hostile-tokens';
import { probeSummary, renderProbeJUnit, renderProbeMarkdown, renderProbeTable } from '../probe/output';
import { issuedCredentials, NEEDS_SIGNING_KEY, probePlan, type ProbeCredentials, type ProbeRoute, scopeSetKey, signingCredentials } from '../probe/plan';
import { runProbe } from '../probe/run';
import { buildStackReport } from '../report';
import { TRUST_TOKEN_ENDPOINT_FLAG } from '../token-endpoint';
import { machineToken } from './machine-token';
import type { MachineFlags } from './options';
import { loadOutputs } from './settings';

/** The largest burst `--rate-limit-burst` sends: enough to exceed a stage's burst, bounded so a probe stays a test. */
export const MAX_PROBE_BURST = 1000;

/** The most requests a probe sends unless told otherwise. */
export const DEFAULT_PROBE_BUDGET = 1000;

interface ProbeFlags extends Omit<MachineFlags, 'stack' | 'clientId'> {
  url: string;
  clientCredentials?: boolean;
  cdkOut: string;
  stack?: string;
  api?: string;
  localIssuer?: string;
  issuer?: string;
  kind?: 'cognito' | 'oidc';
  clientId?: string;
  audience?: string;
  signingKey?: string;
  kid?: string;
  budget: string;
  rateLimitBurst?: string;
  dryRun?: boolean;
  format: 'table' | 'markdown' | 'junit';
  out?: string;
}

function rsaPrivateKey(path: string, text: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw usageError('ERR_BAD_SIGNING_KEY', `--signing-key must be a PEM private key (received: ${path}, which is not one).`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw usageError('ERR_BAD_SIGNING_KEY', `--signing-key must be an RSA key, for RS256 (received: a key of type ${key.asymmetricKeyType ?? 'secret'} in ${path}).`);
  }
  return key;
}

/** The issuer named by --issuer, --kind, --client-id, --audience, --signing-key and --kid. */
function issuerFromFlags(context: CliContext, flags: ProbeFlags): ProbeIssuer {
  for (const [flag, value] of [['--issuer', flags.issuer], ['--client-id', flags.clientId], ['--signing-key', flags.signingKey], ['--kid', flags.kid]] as const) {
    if (value === undefined) {
      throw usageError('ERR_MISSING_ISSUER', `${flag} is required unless --local-issuer names the file of a local stage.`);
    }
  }
  parseSecureUrl(flags.issuer!, '--issuer');
  const keyPath = resolve(context.cwd, flags.signingKey!);
  let keyText: string;
  try {
    keyText = readFileSync(keyPath, 'utf8');
  } catch (error) {
    throw configError('ERR_SIGNING_KEY_UNREADABLE', `--signing-key ${keyPath} cannot be read (${(error as NodeJS.ErrnoException).code}).`, error);
  }
  const kind = flags.kind ?? (new URL(flags.issuer!).hostname.startsWith('cognito-idp.') ? 'cognito' : 'oidc');
  return {
    issuer: flags.issuer!,
    kind,
    clientId: flags.clientId!,
    ...(flags.audience !== undefined ? { audience: flags.audience } : {}),
    signingKey: { kid: flags.kid!, privateKey: rsaPrivateKey(keyPath, keyText) },
  };
}

/** The issuer of a local stage, from the file `secure-api serve --issuer-out` wrote. */
function localIssuer(path: string): ProbeIssuer {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw configError('ERR_LOCAL_ISSUER_UNREADABLE', `--local-issuer ${path} cannot be read as JSON (${(error as NodeJS.ErrnoException).code ?? 'not JSON'}).`, error);
  }
  const text = (name: string): string => {
    const value = parsed[name];
    if (typeof value !== 'string' || value === '') throw configError('ERR_BAD_LOCAL_ISSUER', `--local-issuer ${path} has no ${name}: write it again with secure-api serve --issuer-out.`);
    return value;
  };
  return {
    issuer: text('issuer'),
    kind: text('kind') === 'cognito' ? 'cognito' : 'oidc',
    clientId: text('clientId'),
    audience: text('audience'),
    signingKey: { kid: text('kid'), privateKey: rsaPrivateKey(path, text('privateKeyPem')) },
  };
}

/** The routes of the API under test, and the body limit of its stage's web ACL, from the synthesized app. */
function apiFromAssembly(context: CliContext, flags: ProbeFlags): { routes: ProbeRoute[]; maxBodySize?: number } {
  const stacks = readCloudAssembly(resolve(context.cwd, flags.cdkOut), flags.cdkOut).filter((stack) => flags.stack === undefined || [stack.stackName, stack.artifactId, stack.displayName].includes(flags.stack));
  const apis = stacks
    .map((stack) => buildStackReport(stack))
    .flatMap((report) => report.apis.map((api) => ({ api, webAcls: report.webAcls })))
    .filter(({ api }) => flags.api === undefined || api.name === flags.api || api.logicalId === flags.api);
  if (apis.length !== 1) {
    throw configError(
      apis.length === 0 ? 'ERR_NO_API' : 'ERR_AMBIGUOUS_API',
      apis.length === 0
        ? `${flags.cdkOut} holds no REST API${flags.stack ? ` in stack ${flags.stack}` : ''}${flags.api ? ` named ${flags.api}` : ''}. Run \`npx cdk synth\` first, or check --stack and --api.`
        : `${flags.cdkOut} holds ${apis.length} REST APIs (${apis.map(({ api }) => api.name).join(', ')}). Pass one of them to --api.`,
    );
  }
  const { api, webAcls } = apis[0]!;
  const aclIds = new Set(api.stages.flatMap((stage) => stage.webAcls));
  const limits = webAcls.filter((acl) => aclIds.has(acl.logicalId)).flatMap((acl) => (acl.maxBodySize === undefined ? [] : [acl.maxBodySize]));
  return {
    routes: api.routes.map((row) => ({ method: row.method, path: row.path, access: row.access, scopes: row.scopes, conditions: row.conditions, ...(row.requestBodySchema !== undefined ? { requestBodySchema: row.requestBodySchema } : {}) })),
    ...(limits.length > 0 ? { maxBodySize: Math.min(...limits) } : {}),
  };
}

/**
 * Adds the `probe` command to `program`.
 * @param setExitCode records the exit code of a failed probe
 */
export function addProbeCommand(program: Command, context: CliContext, setExitCode: (code: number) => void): void {
  const { stdout, stderr } = context.streams;
  program
    .command('probe')
    .description(
      'Attack a running API route by route: 18 hostile tokens on every protected route (401 with a Bearer challenge), tokens without and with each route’s scopes (403 / accepted), a token reused across routes (the cached-answer trap), a body one byte over the web ACL’s limit (413) and bodies breaking each validated route’s model (400).',
    )
    .requiredOption('--url <url>', 'the stage URL, e.g. https://<id>.execute-api.<region>.amazonaws.com/prod/')
    .option('--cdk-out <dir>', 'the synthesized app the routes and scopes come from', 'cdk.out')
    .option('--stack <name>', 'the stack of the API (default: every stack)')
    .option('--api <name>', 'the REST API, when the app has several')
    .option('--local-issuer <file>', 'the local issuer file `secure-api serve --issuer-out` wrote (instead of the four options below)')
    .option(
      '--client-credentials',
      "get the valid tokens from the machine client's client-credentials grant, one per scope set, as `secure-api token` does (its options below); hostile tokens that need the issuer's key are skipped unless --signing-key is given",
    )
    .option('--issuer <url>', 'iss of the issuer whose key --signing-key is (the API must trust it)')
    .addOption(new Option('--kind <kind>', "the issuer's kind (default: cognito for cognito-idp hosts, else oidc)").choices(['cognito', 'oidc']))
    .option('--client-id <id>', 'a client id the API accepts')
    .option('--audience <aud>', 'an audience the API accepts (OIDC issuers that check audiences)')
    .option('--signing-key <file>', "the issuer's RSA private key in PEM, for RS256 (a test issuer's, never a production one)")
    .option('--kid <kid>', 'the kid the API knows the key by')
    .option('--budget <n>', 'the most requests to send', String(DEFAULT_PROBE_BUDGET))
    .option('--rate-limit-burst <n>', "also send n requests at once (more than the stage's burst limit) and expect 429; counts against --budget")
    .option('--dry-run', 'list what would be sent, and send nothing')
    .addOption(new Option('--format <format>', 'a table, Markdown, or JUnit XML for CI systems').choices(['table', 'markdown', 'junit']).default('table'))
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--outputs <file>', 'with --client-credentials: stack outputs written by `cdk deploy --outputs-file` (default: ./outputs.json, if present)')
    .option('--user-pool-id <id>', 'with --client-credentials: the Cognito user pool (default: output UserPoolId)')
    .option('--region <region>', "with --client-credentials: AWS region (default: the user pool id's region)")
    .option('--profile <name>', 'with --client-credentials: AWS profile (default: the standard credential chain)')
    .option('--token-endpoint <url>', 'with --client-credentials: the token endpoint (default: output TokenEndpoint); must be a domain of the user pool')
    .option(`${TRUST_TOKEN_ENDPOINT_FLAG} <url>`, 'with --client-credentials: send the client secret to this token endpoint without checking it against the user pool')
    .option('--timeout <seconds>', 'with --client-credentials: timeout of each token request')
    .option('--no-cache', 'with --client-credentials: neither read nor write the token cache')
    .option('--verbose', 'with --client-credentials: print every setting and where it came from')
    .action(async (flags: ProbeFlags) => {
      const apiUrl = parseSecureUrl(flags.url, '--url');
      const budget = Number(flags.budget);
      if (!Number.isInteger(budget) || budget < 1) {
        throw usageError('ERR_BAD_BUDGET', `--budget must be a whole number of requests, at least 1 (received: ${JSON.stringify(flags.budget)}).`);
      }
      const burst = flags.rateLimitBurst === undefined ? undefined : Number(flags.rateLimitBurst);
      if (burst !== undefined && (!Number.isInteger(burst) || burst < 2 || burst > MAX_PROBE_BURST)) {
        throw usageError('ERR_BAD_BURST', `--rate-limit-burst must be a whole number from 2 to ${MAX_PROBE_BURST} (received: ${JSON.stringify(flags.rateLimitBurst)}).`);
      }
      if (flags.clientCredentials && flags.localIssuer !== undefined) {
        throw usageError('ERR_CONFLICTING_OPTIONS', 'Pass either --client-credentials or --local-issuer, not both: both say where the valid tokens come from.');
      }
      const { routes, maxBodySize } = apiFromAssembly(context, flags);
      const now = Math.floor(context.now() / 1000);
      const signing = (issuer: ProbeIssuer): ProbeCredentials => signingCredentials(issuer, now, createPublicKey(issuer.signingKey.privateKey).export({ type: 'spki', format: 'pem' }) as string);
      let credentials: ProbeCredentials;
      if (flags.clientCredentials) {
        const keyed = flags.signingKey === undefined ? undefined : signing(issuerFromFlags(context, flags));
        const scopeSets = [...new Map(routes.filter((route) => route.access === 'protected').map((route) => [scopeSetKey(route.scopes), route.scopes] as const)).values()];
        const tokens = new Map<string, string>();
        const trail = loadOutputs(context, flags);
        for (const [index, scopes] of scopeSets.entries()) {
          // A dry run sends nothing, to the token endpoint neither: its plan holds placeholders, never printed.
          tokens.set(scopeSetKey(scopes), flags.dryRun ? 'secure-api-probe.dry-run.placeholder' : (await machineToken(context, flags, trail, scopes, false, index === 0)).token.accessToken);
        }
        credentials = issuedCredentials(tokens, keyed);
      } else {
        credentials = signing(flags.localIssuer !== undefined ? localIssuer(resolve(context.cwd, flags.localIssuer)) : issuerFromFlags(context, flags));
      }
      const plan = probePlan(routes, credentials, { burst, maxBodySize });
      const keyless = new Set(plan.filter((step) => step.skip === NEEDS_SIGNING_KEY).map((step) => step.name.replace(/^authentication\//, '')));
      if (keyless.size > 0) {
        stderr.write(`Skipping ${keyless.size} hostile tokens on every protected route, which need the issuer's signing key (pass --signing-key to send them): ${[...keyless].join(', ')}.\n`);
      }
      if (flags.dryRun) {
        // Names and routes only: a dry run never prints a token.
        const sent = plan.filter((step) => step.skip === undefined);
        stdout.write(`${sent.map((step, i) => `${String(i + 1).padStart(4)} ${step.route.method} ${step.route.path} ${step.name} (${step.expect})`).join('\n')}\n${sent.length} requests would be sent to ${apiUrl.origin}${budgetNote(sent.length, budget)}\n`);
        return;
      }
      const results = await runProbe(plan, apiUrl, context.fetch, budget);
      const text = flags.format === 'junit' ? renderProbeJUnit(results) : flags.format === 'markdown' ? renderProbeMarkdown(results, apiUrl.href) : renderProbeTable(results);
      if (flags.out === undefined) {
        stdout.write(text);
      } else {
        writeTextFile(resolve(context.cwd, flags.out), text, 'the probe report', 'Create the directory, or choose another --out.');
      }
      const { pass, fail, skipped } = probeSummary(results);
      stderr.write(`Probe of ${apiUrl.href}: ${pass} passed, ${fail} failed, ${skipped} skipped.\n`);
      if (fail > 0) {
        setExitCode(ExitCode.CheckFailed);
      }
    });
}

function budgetNote(planned: number, budget: number): string {
  return planned > budget ? ` (the budget of ${budget} stops after the first ${budget})` : '';
}
