import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import { ROUTES_METADATA_KEY } from './authorizer/jwt-authorizer';

/** Options of {@link stableTemplate}. */
export interface StableTemplateOptions {
  /**
   * Asset hashes to keep as they are because you have made their assets deterministic yourself.
   * @default - only this package's prebundled assets are kept
   */
  readonly keepAssetHashes?: string[];
}

/** The asset hashes of one stack, split by whether a snapshot may show them. */
export interface StackAssetHashes {
  /** Assets built from this package's prebundled, byte-for-byte reproducible handlers. */
  readonly stable: string[];
  /** Every other asset (CDK-provided handlers, your own assets): their hash may change with the machine or the CDK version. */
  readonly unstable: string[];
}

const PACKAGE_ROOTS = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')];
const PREBUNDLED = ['authorizer', 'demo-items'];

/**
 * The stack's CloudFormation template, ready for a Jest snapshot that stays the same on every machine,
 * every Node version and every patch of the CDK.
 *
 * What may vary is masked: the hashes of assets that are not reproducible by construction (CDK-provided
 * custom-resource handlers, Docker images, your own assets unless listed in `keepAssetHashes`), and the
 * CDK version metadata (`AWS::CDK::Metadata`, `aws:cdk:path` and `aws:asset:*` resource metadata).
 * This package's own assets (the JWT authorizer and the demo service) are bundled deterministically,
 * so their hashes are kept: a snapshot diff on them means the authorizer code or its configuration changed.
 *
 * @example
 * expect(stableTemplate(stack)).toMatchSnapshot();
 *
 * @param stack a stack of an app (synthesized on demand, as `Template.fromStack` does)
 * @param options which further asset hashes to keep
 * @returns the template as a plain object with the varying parts masked
 */
export function stableTemplate(stack: Stack, options: StableTemplateOptions = {}): Record<string, unknown> {
  const { template, hashes } = synthesized(stack);
  const keep = new Set([...hashes.stable, ...(options.keepAssetHashes ?? [])]);
  const masks = new Map<string, string>();
  for (const hash of hashes.unstable) {
    if (!keep.has(hash)) {
      masks.set(hash, `[ASSET HASH ${masks.size + 1}]`);
    }
  }
  return maskValue(withoutVersionMetadata(template), masks) as Record<string, unknown>;
}

/**
 * Classifies the stack's asset hashes: stable ones come from this package's prebundled handlers
 * (recognised by their `index.js` being byte-identical to the package's bundle), the rest are unstable.
 *
 * @param stack a stack of an app
 * @returns the stable and the unstable asset hashes
 */
export function stackAssetHashes(stack: Stack): StackAssetHashes {
  return synthesized(stack).hashes;
}

function synthesized(stack: Stack): { template: Record<string, unknown>; hashes: StackAssetHashes } {
  const stage = Stage.of(stack);
  if (stage === undefined) {
    throw new Error(`stack '${stack.stackName}' must belong to an App or a Stage to be synthesized`);
  }
  const assembly = stage.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const stable: string[] = [];
  const unstable: string[] = [];
  const bundles = packageBundles();
  for (const dependency of artifact.dependencies) {
    const file = (dependency as { file?: string }).file;
    if (!file || !file.endsWith('.assets.json')) {
      continue;
    }
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      files?: Record<string, { source: { path?: string } }>;
      dockerImages?: Record<string, unknown>;
    };
    for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
      const source = entry.source.path ? path.join(assembly.directory, entry.source.path) : undefined;
      if (source !== undefined && isPackageAsset(source, bundles)) {
        stable.push(hash);
      } else if (!entry.source.path?.endsWith('.template.json')) {
        unstable.push(hash);
      }
    }
    unstable.push(...Object.keys(manifest.dockerImages ?? {}));
  }
  return { template: artifact.template as Record<string, unknown>, hashes: { stable: stable.sort(), unstable: unstable.sort() } };
}

function packageBundles(): Buffer[] {
  const bundles: Buffer[] = [];
  for (const root of PACKAGE_ROOTS) {
    for (const name of PREBUNDLED) {
      const file = path.join(root, 'assets', name, 'index.js');
      if (fs.existsSync(file)) {
        bundles.push(fs.readFileSync(file));
      }
    }
  }
  return bundles;
}

function isPackageAsset(source: string, bundles: Buffer[]): boolean {
  const handler = path.join(source, 'index.js');
  if (!fs.existsSync(handler) || !fs.statSync(source).isDirectory()) {
    return false;
  }
  const bytes = fs.readFileSync(handler);
  return bundles.some((bundle) => bundle.equals(bytes));
}

function withoutVersionMetadata(template: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(template);
  const resources = (copy.Resources ?? {}) as Record<string, Record<string, unknown>>;
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CDK::Metadata') {
      delete resources[logicalId];
      continue;
    }
    const metadata = resource.Metadata as Record<string, unknown> | undefined;
    if (metadata) {
      for (const key of Object.keys(metadata)) {
        if (key === 'aws:cdk:path' || key.startsWith('aws:asset:')) {
          delete metadata[key];
        }
      }
      if (Object.keys(metadata).length === 0) {
        delete resource.Metadata;
      }
    }
  }
  const conditions = copy.Conditions as Record<string, unknown> | undefined;
  if (conditions && 'CDKMetadataAvailable' in conditions) {
    delete conditions.CDKMetadataAvailable;
    if (Object.keys(conditions).length === 0) {
      delete copy.Conditions;
    }
  }
  return copy;
}

function maskValue(value: unknown, masks: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    let masked = value;
    for (const [hash, label] of masks) {
      masked = masked.split(hash).join(label);
    }
    return masked;
  }
  if (Array.isArray(value)) {
    return value.map((item) => maskValue(item, masks));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [maskValue(key, masks) as string, maskValue(item, masks)]));
  }
  return value;
}

type Json = unknown;
type Resource = { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json>; DeletionPolicy?: string };
type Statement = Record<string, Json>;

/**
 * A compact, sorted, security-relevant view of a stack, read from its synthesized CloudFormation template,
 * for snapshot tests in which a change of privilege is one readable diff line.
 *
 * One line per fact, each starting with its subject, so a diff line reads on its own:
 * - per REST API: its endpoint and resource policy; each authorizer (type, function, identity source, cache
 *   TTL and cache key scope, trusted issuers); each method as `METHOD /path` with its authorization
 *   (`public`, `authorizer`, `IAM`, `Cognito`), scopes and claim conditions, and integration; each stage's
 *   throttling (stage-wide and per method), logging, tracing, access log, web ACL and client certificate;
 *   usage plans and custom domains;
 * - per WAF web ACL: default action, body inspection limit, each rule by priority (rate limits, size limits,
 *   managed rule groups with their excluded and overridden rules), logging and redacted fields;
 * - per log group: retention, removal policy and KMS key;
 * - per IAM role, user or group: its trust policy, managed policies, and every statement of its inline and
 *   attached policies, one line per action (effect, action, resources, conditions);
 * - resource policies: KMS key policies, Lambda permissions, topic, queue, bucket and log resource policies;
 * - Cognito app clients: OAuth flows and allowed scopes.
 *
 * It works on any stack, also one built with plain aws-cdk-lib. The scopes and claim conditions of a method
 * behind this package's JWT authorizer come from the route table the authorizer function carries in its
 * `cdk-secure-api:routes` metadata. References read `<LogicalId>` or `<LogicalId.Attribute>` (pseudo parameters `<AWS::Region>`), logical ids
 * without CDK's 8-character hash suffix where that stays unambiguous; asset hashes read `[asset hash]`, so the
 * summary changes only when a security-relevant fact does.
 *
 * @example
 * expect(securitySummary(stack)).toMatchSnapshot();
 *
 * @param stack a stack of an app (synthesized on demand, as `Template.fromStack` does)
 * @returns the summary, one fact per line
 */
export function securitySummary(stack: Stack): string {
  return new SummaryWriter(synthesized(stack).template as { Resources?: Record<string, Resource> }).write();
}

const PSEUDO_PREFIX = 'AWS::';

class SummaryWriter {
  private readonly resources: Record<string, Resource>;
  private readonly names = new Map<string, string>();

  constructor(template: { Resources?: Record<string, Resource> }) {
    this.resources = template.Resources ?? {};
    const ids = Object.keys(this.resources);
    const short = (id: string) => id.replace(/[0-9A-F]{8}([0-9a-f]{32})?$/, '') || id;
    const counts = new Map<string, number>();
    ids.forEach((id) => counts.set(short(id), (counts.get(short(id)) ?? 0) + 1));
    ids.forEach((id) => this.names.set(id, counts.get(short(id)) === 1 && !(short(id) in this.resources) ? short(id) : id));
  }

  public write(): string {
    const sections: Array<[string, string[]]> = [
      ['REST APIs', this.apis()],
      ['WAF', this.webAcls()],
      ['Logs', this.logGroups()],
      ['IAM', this.identities()],
      ['Resource policies', this.resourcePolicies()],
      ['Cognito', this.cognitoClients()],
    ];
    const text = sections
      .filter(([, lines]) => lines.length > 0)
      .map(([title, lines]) => [`## ${title}`, ...lines].join('\n'))
      .join('\n\n');
    return `${text.replace(/\b[0-9a-f]{64}\b/g, '[asset hash]')}\n`;
  }

  // ---------- REST APIs ----------

  private apis(): string[] {
    const lines: string[] = [];
    for (const [apiId, api] of this.ofType('AWS::ApiGateway::RestApi')) {
      const subject = `api ${this.name(apiId)}`;
      const props = api.Properties ?? {};
      const endpoint = this.show((props.EndpointConfiguration as { Types?: Json } | undefined)?.Types ?? 'EDGE');
      lines.push(
        `${subject}: name ${this.show(props.Name ?? '-')}, endpoint ${endpoint}${props.DisableExecuteApiEndpoint === true ? ', default execute-api endpoint disabled' : ''}` +
          `${props.Policy === undefined ? ', no resource policy' : ''}`,
      );
      lines.push(...this.policyLines(`${subject}: policy`, props.Policy));
      const belongs = (resource: Resource) => this.refersTo(resource.Properties?.RestApiId, apiId);
      const tables = new Map<string, RouteTable | undefined>();
      for (const [id, authorizer] of this.ofType('AWS::ApiGateway::Authorizer').filter(([, r]) => belongs(r))) {
        tables.set(id, this.authorizerLines(`${subject}: authorizer ${this.name(id)}`, authorizer, lines));
      }
      const seen = new Map<string, Set<string>>();
      for (const [, method] of this.ofType('AWS::ApiGateway::Method').filter(([, r]) => belongs(r))) {
        lines.push(`${subject}: ${this.methodLine(method, tables, seen)}`);
      }
      for (const [id, table] of tables) {
        for (const route of table?.routes ?? []) {
          if (!seen.get(id)?.has(route.route)) {
            lines.push(`${subject}: authorizer ${this.name(id)}: route table also lists ${route.route} (no method uses it)`);
          }
        }
      }
      for (const [stageId, stage] of this.ofType('AWS::ApiGateway::Stage').filter(([, r]) => belongs(r))) {
        lines.push(...this.stageLines(`${subject}: stage ${this.show(stage.Properties?.StageName ?? this.name(stageId))}`, stageId, stage));
      }
      for (const [id, plan] of this.ofType('AWS::ApiGateway::UsagePlan')) {
        const stages = (plan.Properties?.ApiStages as Array<Record<string, Json>> | undefined) ?? [];
        if (stages.some((stage) => this.refersTo(stage.ApiId, apiId))) {
          lines.push(
            `${subject}: usage plan ${this.name(id)}: throttle ${this.throttle(plan.Properties?.Throttle as Record<string, Json> | undefined)}, ` +
              `quota ${this.show(plan.Properties?.Quota ?? 'none')}`,
          );
        }
      }
      for (const [, mapping] of this.ofType('AWS::ApiGateway::BasePathMapping').filter(([, r]) => this.refersTo(r.Properties?.RestApiId, apiId))) {
        const domain = this.domain(mapping.Properties?.DomainName);
        lines.push(`${subject}: domain ${domain} maps /${this.show(mapping.Properties?.BasePath ?? '')} to stage ${this.stageName(mapping.Properties?.Stage)}`);
      }
    }
    return lines.sort(compareLines);
  }

  private stageName(value: Json): string {
    const target = this.target(value);
    const name = target === undefined ? undefined : this.resources[target]?.Properties?.StageName;
    return name === undefined ? this.show(value ?? '-') : this.show(name);
  }

  private domain(value: Json): string {
    const target = this.target(value);
    const props = target === undefined ? undefined : this.resources[target]?.Properties;
    if (props === undefined) {
      return this.show(value);
    }
    const mtls = props.MutualTlsAuthentication === undefined ? 'no mutual TLS' : `mutual TLS ${this.show((props.MutualTlsAuthentication as Record<string, Json>).TruststoreUri)}`;
    return `${this.show(props.DomainName)} (${this.show(props.SecurityPolicy ?? 'TLS_1_0')}, ${mtls})`;
  }

  private authorizerLines(subject: string, authorizer: Resource, lines: string[]): RouteTable | undefined {
    const props = authorizer.Properties ?? {};
    const functionId = this.findTarget(props.AuthorizerUri, 'AWS::Lambda::Function');
    const table = functionId === undefined ? undefined : (this.resources[functionId]?.Metadata?.[ROUTES_METADATA_KEY] as RouteTable | undefined);
    const by = functionId !== undefined ? `function ${this.name(functionId)}` : props.ProviderARNs !== undefined ? `user pools ${this.show(props.ProviderARNs)}` : this.show(props.AuthorizerUri);
    const ttl = props.AuthorizerResultTtlInSeconds ?? 300;
    const cache = ttl === 0 ? 'cache off' : `cache ${this.show(ttl)} s${table === undefined ? '' : ` per ${table.cacheKeyScope}`}`;
    lines.push(`${subject}: ${this.show(props.Type)} by ${by}, identity ${this.show(props.IdentitySource ?? '-')}, ${cache}`);
    for (const issuer of table?.issuers ?? []) {
      const words: Record<string, string> = { keySource: 'keys from', clientIds: 'client ids', clientIdClaim: 'client id claim', requiredTyp: 'typ', audienceCheck: 'audience check' };
      const facts = Object.entries(issuer)
        .filter(([key]) => key !== 'kind' && key !== 'issuer')
        .map(([key, value]) => `${words[key] ?? key} ${this.show(value)}`);
      lines.push(`${subject}: trusts ${issuer.kind} issuer ${issuer.issuer}, ${facts.join(', ')}`);
    }
    return table;
  }

  private methodLine(method: Resource, tables: Map<string, RouteTable | undefined>, seen: Map<string, Set<string>>): string {
    const props = method.Properties ?? {};
    const verb = this.show(props.HttpMethod);
    const path = this.resourcePath(props.ResourceId);
    const type = String(props.AuthorizationType ?? 'NONE');
    let auth: string;
    if (type === 'CUSTOM' || type === 'COGNITO_USER_POOLS') {
      const authorizerId = this.target(props.AuthorizerId);
      const name = authorizerId === undefined ? this.show(props.AuthorizerId) : this.name(authorizerId);
      const table = authorizerId === undefined ? undefined : tables.get(authorizerId);
      if (type === 'COGNITO_USER_POOLS') {
        auth = `Cognito authorizer ${name}, scopes ${this.list(props.AuthorizationScopes, 'none (ID or access token)')}`;
      } else if (table === undefined) {
        auth = `authorizer ${name}`;
      } else {
        const route = table.routes.find((r) => r.route === `${verb} ${path}`) ?? table.routes.find((r) => sameRoute(r.route, `${verb} ${path}`)) ??
          table.routes.find((r) => sameRoute(r.route, `ANY ${path}`));
        if (route === undefined) {
          auth = `authorizer ${name}, not in its route table (every request refused)`;
        } else {
          const used = seen.get(authorizerId!) ?? new Set<string>();
          seen.set(authorizerId!, used.add(route.route));
          const conditions = (route.conditions ?? []).map((c) => Object.entries(c).filter(([k]) => k !== 'claim').map(([k, v]) => `${c.claim} ${k} ${this.show(v)}`).join(', '));
          auth = `authorizer ${name}, ${route.scopes.length === 0 ? 'any valid token' : `scopes ${route.scopes.join(' + ')}`}${conditions.map((c) => `, claim ${c}`).join('')}` +
            `${route.route !== `${verb} ${path}` ? ` (route ${route.route})` : ''}`;
        }
      }
    } else if (type === 'AWS_IAM') {
      auth = 'IAM (SigV4)';
    } else {
      auth = 'public (no authorization)';
    }
    const apiKey = props.ApiKeyRequired === true ? ', API key required' : '';
    return `route ${verb} ${path}: ${auth}${apiKey}, integration ${this.integration(props.Integration as Record<string, Json> | undefined)}`;
  }

  private integration(integration: Record<string, Json> | undefined): string {
    if (integration === undefined) {
      return 'none';
    }
    const type = this.show(integration.Type);
    const fn = this.findTarget(integration.Uri, 'AWS::Lambda::Function');
    if (fn !== undefined) {
      return `${type} function ${this.name(fn)}`;
    }
    return integration.Uri === undefined ? type : `${type} ${this.show(integration.Uri)}`;
  }

  private resourcePath(id: Json, depth = 0): string {
    const getAtt = (id as { 'Fn::GetAtt'?: Json[] } | undefined)?.['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[1] === 'RootResourceId') {
      return '/';
    }
    const target = this.target(id);
    const resource = target === undefined ? undefined : this.resources[target];
    if (resource?.Type !== 'AWS::ApiGateway::Resource' || depth > 64) {
      return `(resource ${this.show(id)})`;
    }
    const parent = this.resourcePath(resource.Properties?.ParentId, depth + 1);
    return `${parent === '/' ? '' : parent}/${this.show(resource.Properties?.PathPart)}`;
  }

  private stageLines(subject: string, stageId: string, stage: Resource): string[] {
    const props = stage.Properties ?? {};
    const lines: string[] = [];
    const settings = (props.MethodSettings as Array<Record<string, Json>> | undefined) ?? [];
    const all = settings.find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
    lines.push(`${subject}: throttle ${all === undefined ? 'account default' : this.throttle({ RateLimit: all.ThrottlingRateLimit, BurstLimit: all.ThrottlingBurstLimit })} (stage-wide)`);
    lines.push(
      `${subject}: execution logging ${this.show(all?.LoggingLevel ?? 'OFF')}, data trace ${all?.DataTraceEnabled === true ? 'ON (full requests and responses logged)' : 'off'}, ` +
        `metrics ${all?.MetricsEnabled === true ? 'on' : 'off'}, X-Ray tracing ${props.TracingEnabled === true ? 'on' : 'off'}`,
    );
    for (const setting of settings.filter((s) => s !== all)) {
      // `/~1orders~1{id}` names the resource `/orders/{id}`: its path with `/` escaped as `~1`, after a leading `/`.
      const path = String(setting.ResourcePath ?? '').replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
      const facts = [
        setting.ThrottlingRateLimit !== undefined || setting.ThrottlingBurstLimit !== undefined ? `throttle ${this.throttle({ RateLimit: setting.ThrottlingRateLimit, BurstLimit: setting.ThrottlingBurstLimit })}` : undefined,
        setting.LoggingLevel !== undefined && setting.LoggingLevel !== all?.LoggingLevel ? `logging ${this.show(setting.LoggingLevel)}` : undefined,
        setting.DataTraceEnabled === true ? 'data trace ON' : undefined,
        setting.CachingEnabled === true ? `caching on (${this.show(setting.CacheTtlInSeconds ?? 300)} s)` : undefined,
      ].filter((fact) => fact !== undefined);
      lines.push(`${subject}: ${this.show(setting.HttpMethod)} ${path}: ${facts.join(', ') || 'defaults'}`);
    }
    const access = props.AccessLogSetting as Record<string, Json> | undefined;
    const logGroup = access === undefined ? undefined : this.target(access.DestinationArn);
    lines.push(`${subject}: access log ${access === undefined ? 'none' : logGroup === undefined ? this.show(access.DestinationArn) : this.name(logGroup)}`);
    const acls = this.ofType('AWS::WAFv2::WebACLAssociation').filter(([, a]) => this.mentions(a.Properties?.ResourceArn, stageId));
    lines.push(`${subject}: web ACL ${acls.length === 0 ? 'none' : acls.map(([, a]) => this.named(a.Properties?.WebACLArn)).sort().join(', ')}`);
    if (props.ClientCertificateId !== undefined) {
      lines.push(`${subject}: client certificate ${this.named(props.ClientCertificateId)} (backend can verify API Gateway)`);
    }
    if (props.CacheClusterEnabled === true) {
      lines.push(`${subject}: cache cluster ${this.show(props.CacheClusterSize ?? '0.5')} GB`);
    }
    return lines;
  }

  private throttle(limits: Record<string, Json> | undefined): string {
    if (limits === undefined || (limits.RateLimit === undefined && limits.BurstLimit === undefined)) {
      return 'none';
    }
    return `rate ${this.show(limits.RateLimit ?? '-')}/s burst ${this.show(limits.BurstLimit ?? '-')}`;
  }

  // ---------- WAF ----------

  private webAcls(): string[] {
    const lines: string[] = [];
    for (const [id, acl] of this.ofType('AWS::WAFv2::WebACL')) {
      const subject = `waf ${this.name(id)}`;
      const props = acl.Properties ?? {};
      const body = (props.AssociationConfig as { RequestBody?: Record<string, { DefaultSizeInspectionLimit?: Json }> } | undefined)?.RequestBody;
      const inspection = body === undefined ? 'default' : Object.entries(body).map(([service, limit]) => `${service} ${this.show(limit.DefaultSizeInspectionLimit)}`).join(', ');
      lines.push(`${subject}: scope ${this.show(props.Scope ?? '-')}, default action ${this.action(props.DefaultAction)}, body inspection ${inspection}`);
      const rules = [...((props.Rules as Array<Record<string, Json>> | undefined) ?? [])].sort((a, b) => Number(a.Priority) - Number(b.Priority));
      for (const rule of rules) {
        const ruleSubject = `${subject}: rule ${String(rule.Priority).padStart(4, '0')} ${this.show(rule.Name)}`;
        const action = rule.Action !== undefined ? this.action(rule.Action) : (this.show(rule.OverrideAction).includes('Count') ? 'every rule of the group set to Count' : "the group's own actions");
        lines.push(`${ruleSubject}: ${action}, ${this.wafStatement(rule.Statement as Record<string, Json>)}`);
        const group = (rule.Statement as Record<string, Record<string, Json>> | undefined)?.ManagedRuleGroupStatement;
        for (const excluded of (group?.ExcludedRules as Array<{ Name: Json }> | undefined) ?? []) {
          lines.push(`${ruleSubject}: excludes ${this.show(excluded.Name)} (Count)`);
        }
        for (const override of (group?.RuleActionOverrides as Array<{ Name: Json; ActionToUse: Json }> | undefined) ?? []) {
          lines.push(`${ruleSubject}: overrides ${this.show(override.Name)} to ${this.action(override.ActionToUse)}`);
        }
      }
      for (const [, logging] of this.ofType('AWS::WAFv2::LoggingConfiguration').filter(([, l]) => this.refersTo(l.Properties?.ResourceArn, id))) {
        const lp = logging.Properties ?? {};
        const destinations = ((lp.LogDestinationConfigs as Json[] | undefined) ?? []).map((d) => this.named(d)).join(', ');
        const redacted = ((lp.RedactedFields as Json[] | undefined) ?? []).map((field) => this.field(field)).join(', ') || 'none';
        lines.push(`${subject}: logs to ${destinations}, redacts ${redacted}, ${this.loggingFilter(lp.LoggingFilter as Record<string, Json> | undefined)}`);
      }
    }
    return lines.sort(compareLines);
  }

  /** A WAF field to match or redact: `header authorization`, `body (oversize MATCH)`. */
  private field(field: Json): string {
    const [kind, detail] = Object.entries((field ?? {}) as Record<string, Record<string, Json>>)[0] ?? ['-', {}];
    const words: Record<string, string> = { SingleHeader: 'header', SingleQueryArgument: 'query argument', Body: 'body', JsonBody: 'JSON body', UriPath: 'URI path', QueryString: 'query string', Method: 'method' };
    const name = detail?.Name === undefined ? '' : ` ${this.show(detail.Name)}`;
    const oversize = detail?.OversizeHandling === undefined ? '' : ` (oversize ${this.show(detail.OversizeHandling)})`;
    return `${words[kind] ?? kind}${name}${oversize}`;
  }

  private loggingFilter(filter: Record<string, Json> | undefined): string {
    if (filter === undefined) {
      return 'every request';
    }
    const filters = (filter.Filters as Array<Record<string, Json>> | undefined) ?? [];
    const rules = filters.map((f) => {
      const actions = ((f.Conditions as Array<Record<string, Record<string, Json>>> | undefined) ?? []).map((c) =>
        c.ActionCondition !== undefined ? `action ${this.show(c.ActionCondition.Action)}` : this.compact(c),
      );
      return `${this.show(f.Behavior).toLowerCase()} requests with ${actions.join(f.Requirement === 'MEETS_ALL' ? ' and ' : ' or ')}`;
    });
    return `${rules.join(', ')}, ${this.show(filter.DefaultBehavior).toLowerCase()} the rest`;
  }

  private action(action: Json): string {
    const record = (action ?? {}) as Record<string, Record<string, Json> | undefined>;
    return Object.entries(record)
      .map(([name, detail]) => {
        const code = (detail?.CustomResponse as Record<string, Json> | undefined)?.ResponseCode;
        return code === undefined ? name : `${name} ${this.show(code)}`;
      })
      .join(', ');
  }

  private wafStatement(statement: Record<string, Json> | undefined): string {
    const [kind, body] = Object.entries(statement ?? {})[0] ?? ['none', {}];
    const s = (body ?? {}) as Record<string, Json>;
    switch (kind) {
      case 'RateBasedStatement':
        return `rate limit ${this.show(s.Limit)} per ${this.show(s.EvaluationWindowSec ?? 300)} s per ${this.show(s.AggregateKeyType)}` +
          `${s.ScopeDownStatement === undefined ? '' : ` where ${this.compact(s.ScopeDownStatement)}`}`;
      case 'SizeConstraintStatement':
        return `size of ${this.field(s.FieldToMatch)} ${this.show(s.ComparisonOperator)} ${this.show(s.Size)} bytes`;
      case 'ManagedRuleGroupStatement':
        return `managed group ${this.show(s.VendorName)}/${this.show(s.Name)}${s.Version === undefined ? '' : ` version ${this.show(s.Version)}`}` +
          `${s.ScopeDownStatement === undefined ? '' : ` where ${this.compact(s.ScopeDownStatement)}`}`;
      default:
        return `${kind} ${this.compact(s)}`;
    }
  }

  // ---------- Logs ----------

  private logGroups(): string[] {
    return this.ofType('AWS::Logs::LogGroup').map(([id, group]) => {
      const props = group.Properties ?? {};
      const name = props.LogGroupName === undefined ? '' : ` (${this.show(props.LogGroupName)})`;
      const retention = props.RetentionInDays === undefined ? 'never expires' : `${this.show(props.RetentionInDays)} days`;
      const key = props.KmsKeyId === undefined ? 'CloudWatch Logs managed key' : `KMS key ${this.named(props.KmsKeyId)}`;
      return `log ${this.name(id)}${name}: retention ${retention}, removal ${group.DeletionPolicy ?? 'Delete'}, ${key}`;
    }).sort(compareLines);
  }

  // ---------- IAM ----------

  private identities(): string[] {
    const lines: string[] = [];
    const kinds: Record<string, string> = { 'AWS::IAM::Role': 'role', 'AWS::IAM::User': 'user', 'AWS::IAM::Group': 'group' };
    for (const [id, identity] of Object.entries(this.resources).filter(([, r]) => r.Type in kinds)) {
      const subject = `iam ${kinds[identity.Type]} ${this.name(id)}`;
      const props = identity.Properties ?? {};
      lines.push(...this.policyLines(`${subject}: trust`, props.AssumeRolePolicyDocument));
      for (const arn of (props.ManagedPolicyArns as Json[] | undefined) ?? []) {
        lines.push(`${subject}: managed policy ${this.named(arn)}`);
      }
      if (props.PermissionsBoundary !== undefined) {
        lines.push(`${subject}: permissions boundary ${this.named(props.PermissionsBoundary)}`);
      }
      for (const policy of (props.Policies as Array<Record<string, Json>> | undefined) ?? []) {
        lines.push(...this.policyLines(`${subject}: inline ${this.show(policy.PolicyName)}`, policy.PolicyDocument));
      }
    }
    for (const [id, policy] of this.ofType('AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy')) {
      const props = policy.Properties ?? {};
      const holders = [
        ...((props.Roles as Json[] | undefined) ?? []).map((r) => `role ${this.named(r)}`),
        ...((props.Users as Json[] | undefined) ?? []).map((u) => `user ${this.named(u)}`),
        ...((props.Groups as Json[] | undefined) ?? []).map((g) => `group ${this.named(g)}`),
      ];
      for (const holder of holders.length > 0 ? holders : ['(attached to nothing)']) {
        lines.push(...this.policyLines(`iam ${holder}: ${policy.Type === 'AWS::IAM::Policy' ? 'policy' : 'managed policy'} ${this.name(id)}`, props.PolicyDocument));
      }
    }
    return lines.sort(compareLines);
  }

  // ---------- Resource policies ----------

  private resourcePolicies(): string[] {
    const lines: string[] = [];
    const targets: Record<string, [string, string]> = {
      'AWS::SNS::TopicPolicy': ['Topics', 'sns topic'],
      'AWS::SQS::QueuePolicy': ['Queues', 'sqs queue'],
      'AWS::S3::BucketPolicy': ['Bucket', 's3 bucket'],
    };
    for (const [id, resource] of Object.entries(this.resources)) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Lambda::Permission') {
        const facts = [
          `by ${this.show(props.Principal)}`,
          props.SourceArn === undefined ? undefined : `from ${this.show(props.SourceArn)}`,
          props.SourceAccount === undefined ? undefined : `account ${this.show(props.SourceAccount)}`,
          props.FunctionUrlAuthType === undefined ? undefined : `function URL auth ${this.show(props.FunctionUrlAuthType)}`,
        ].filter((fact) => fact !== undefined);
        lines.push(`lambda ${this.named(props.FunctionName)}: Allow ${this.show(props.Action)} ${facts.join(' ')}`);
      } else if (resource.Type === 'AWS::KMS::Key') {
        const subject = `kms ${this.name(id)}`;
        lines.push(`${subject}: rotation ${props.EnableKeyRotation === true ? 'on' : 'off'}, removal ${resource.DeletionPolicy ?? 'Delete'}`);
        lines.push(...this.policyLines(`${subject}: key policy`, props.KeyPolicy));
      } else if (targets[resource.Type] !== undefined) {
        const [field, label] = targets[resource.Type]!;
        const on = ([] as Json[]).concat(props[field] ?? []).map((t) => this.named(t)).join(', ');
        lines.push(...this.policyLines(`${label} ${on}: policy`, props.PolicyDocument));
      } else if (resource.Type === 'AWS::Logs::ResourcePolicy') {
        const document = typeof props.PolicyDocument === 'string' ? safeParse(props.PolicyDocument) : props.PolicyDocument;
        lines.push(...this.policyLines(`logs resource policy ${this.show(props.PolicyName)}`, document));
      } else if (!resource.Type.startsWith('AWS::IAM::') && resource.Type !== 'AWS::ApiGateway::RestApi') {
        for (const [key, value] of Object.entries(props)) {
          if (Array.isArray((value as { Statement?: Json } | undefined)?.Statement)) {
            lines.push(...this.policyLines(`${resource.Type} ${this.name(id)}: ${key}`, value));
          }
        }
      }
    }
    return lines.sort(compareLines);
  }

  // ---------- Cognito ----------

  private cognitoClients(): string[] {
    return this.ofType('AWS::Cognito::UserPoolClient').map(([id, client]) => {
      const props = client.Properties ?? {};
      const validity = props.AccessTokenValidity === undefined ? '' : `, access tokens ${this.show(props.AccessTokenValidity)} ${this.show((props.TokenValidityUnits as Record<string, Json> | undefined)?.AccessToken ?? 'hours')}`;
      return `cognito client ${this.name(id)}: OAuth flows ${this.list(props.AllowedOAuthFlows, 'none')}, scopes ${this.list(props.AllowedOAuthScopes, 'none')}, ` +
        `auth flows ${this.list(props.ExplicitAuthFlows, 'default')}, secret ${props.GenerateSecret === true ? 'yes' : 'no'}${validity}`;
    }).sort(compareLines);
  }

  // ---------- policies and values ----------

  /** One line per statement and action: `subject: Effect action on resources by principal when conditions`. */
  private policyLines(subject: string, document: Json): string[] {
    const statements = ([] as Json[]).concat((document as { Statement?: Json } | undefined)?.Statement ?? []) as Statement[];
    return statements.flatMap((statement) => {
      const not = statement.NotAction !== undefined;
      const actions = ([] as Json[]).concat(statement.Action ?? statement.NotAction ?? []).map((a) => this.show(a));
      const resources = statement.Resource !== undefined ? ` on ${this.list(statement.Resource, '-')}` : statement.NotResource !== undefined ? ` on all but ${this.list(statement.NotResource, '-')}` : '';
      const principal = statement.Principal !== undefined ? ` by ${this.principal(statement.Principal)}` : statement.NotPrincipal !== undefined ? ` by all but ${this.principal(statement.NotPrincipal)}` : '';
      const condition = statement.Condition === undefined ? '' : ` when ${this.conditions(statement.Condition as Record<string, Record<string, Json>>)}`;
      return actions.sort(compareText).map((action) => `${subject}: ${this.show(statement.Effect)} ${not ? 'all actions but ' : ''}${action}${resources}${principal}${condition}`);
    });
  }

  private principal(principal: Json): string {
    if (principal === '*') {
      return 'anyone (*)';
    }
    return Object.entries(principal as Record<string, Json>)
      .map(([kind, value]) => `${kind} ${this.list(value, '-')}`)
      .sort(compareText)
      .join(' + ');
  }

  private conditions(condition: Record<string, Record<string, Json>>): string {
    return Object.entries(condition)
      .flatMap(([operator, entries]) => Object.entries(entries).map(([key, value]) => `${operator} ${key} ${this.list(value, '-')}`))
      .sort(compareText)
      .join(' and ');
  }

  private list(value: Json, empty: string): string {
    const items = ([] as Json[]).concat(value ?? []).map((item) => this.show(item)).sort(compareText);
    return items.length === 0 ? empty : items.join(', ');
  }

  /** A reference as the name of what it points to, anything else as `show` renders it. */
  private named(value: Json): string {
    const target = this.target(value);
    return target === undefined ? this.show(value) : this.name(target);
  }

  private compact(value: Json): string {
    if (value === null || typeof value !== 'object' || this.isIntrinsic(value)) {
      return this.show(value);
    }
    if (Array.isArray(value)) {
      return `[${value.map((item) => this.compact(item)).join(', ')}]`;
    }
    const entries = Object.entries(value).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([key, item]) => (item !== null && typeof item === 'object' && Object.keys(item).length === 0 ? key : `${key}: ${this.compact(item)}`)).join(', ')}}`;
  }

  private isIntrinsic(value: object): boolean {
    const keys = Object.keys(value);
    const [key] = keys;
    return keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'));
  }

  /** A value as a reader would write it: references as `<Name>` or `<Name.Attribute>`, joins spelled out. */
  private show(value: Json): string {
    if (value === undefined || value === null) {
      return '-';
    }
    if (typeof value !== 'object') {
      return String(value);
    }
    if (Array.isArray(value)) {
      return value.map((item) => this.show(item)).join(', ');
    }
    const record = value as Record<string, Json>;
    if (typeof record.Ref === 'string') {
      return `<${record.Ref.startsWith(PSEUDO_PREFIX) ? record.Ref : this.name(record.Ref)}>`;
    }
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      return `<${this.name(String(getAtt[0]))}.${this.show(getAtt[1])}>`;
    }
    const join = record['Fn::Join'];
    if (Array.isArray(join)) {
      return ([] as Json[]).concat(join[1] ?? []).map((part) => this.show(part)).join(String(join[0]));
    }
    if (typeof record['Fn::Sub'] === 'string') {
      return record['Fn::Sub'];
    }
    if (record['Fn::ImportValue'] !== undefined) {
      return `<import ${this.show(record['Fn::ImportValue'])}>`;
    }
    if (this.isIntrinsic(record)) {
      const [fn, args] = Object.entries(record)[0]!;
      return `<${fn.replace('Fn::', '')} ${this.compact(args)}>`;
    }
    return this.compact(value);
  }

  // ---------- template navigation ----------

  private name(logicalId: string): string {
    return this.names.get(logicalId) ?? logicalId;
  }

  private ofType(...types: string[]): Array<[string, Resource]> {
    return Object.entries(this.resources)
      .filter(([, resource]) => types.includes(resource.Type))
      .sort(([a], [b]) => compareText(this.name(a), this.name(b)));
  }

  /** The logical id a `Ref` or `Fn::GetAtt` points to. */
  private target(value: Json): string | undefined {
    const record = value as Record<string, Json> | undefined;
    if (typeof record?.Ref === 'string' && record.Ref in this.resources) {
      return record.Ref;
    }
    const getAtt = record?.['Fn::GetAtt'];
    return Array.isArray(getAtt) && String(getAtt[0]) in this.resources ? String(getAtt[0]) : undefined;
  }

  private refersTo(value: Json, logicalId: string): boolean {
    return this.target(value) === logicalId;
  }

  /** Whether a value references the resource anywhere inside it (in a join, for instance). */
  private mentions(value: Json, logicalId: string): boolean {
    return this.findAll(value).includes(logicalId);
  }

  /** The first resource of the given type that the value references anywhere inside it. */
  private findTarget(value: Json, type: string): string | undefined {
    return this.findAll(value).find((id) => this.resources[id]?.Type === type);
  }

  private findAll(value: Json): string[] {
    if (value === null || typeof value !== 'object') {
      return [];
    }
    const direct = this.target(value);
    const nested = Object.values(value as Record<string, Json>).flatMap((item) => this.findAll(item));
    return direct === undefined ? nested : [direct, ...nested];
  }
}

/** The route table a JWT authorizer function of this package carries in its template metadata. */
interface RouteTable {
  readonly cacheKeyScope: string;
  readonly routes: Array<{ readonly route: string; readonly scopes: string[]; readonly conditions?: Array<Record<string, string>> }>;
  readonly issuers?: Array<Record<string, Json> & { kind: string; issuer: string }>;
}

/** Whether two `METHOD /path` routes name the same method and resource, whatever their parameter names. */
function sameRoute(a: string, b: string): boolean {
  const key = (route: string) => route.replace(/\{[^}+]+(\+?)\}/g, '{$1}');
  return key(a) === key(b);
}

function safeParse(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders lines by subject first: `route GET /items:` before `route GET /items/{id}:`. */
function compareLines(a: string, b: string): number {
  return compareText(a.replace(/: /g, '\u0000'), b.replace(/: /g, '\u0000'));
}
