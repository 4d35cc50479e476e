import { PropertyInjectors, Token, type InjectionContext, type IPropertyInjector } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { isPlainObject } from '../lambda/contract';
import { SecureApiValidationError } from './errors';
import type { SecureApiMonitoringProps } from './monitoring/secure-api-monitoring';
import type { SecureApiProps } from './secure-api/secure-api';

/** The injection id of `SecureApi`, for `PropertyInjectors`. */
export const SECURE_API_INJECTION_ID = 'cdk-secure-api.SecureApi';
/** The injection id of `SecureApiMonitoring`, for `PropertyInjectors`. */
export const SECURE_API_MONITORING_INJECTION_ID = 'cdk-secure-api.SecureApiMonitoring';

/** What a platform team sets once for every API of an app (or of one part of its construct tree). */
export interface SecureApiOrgDefaultsProps {
  /**
   * Defaults for every `SecureApi` in scope: any of its props except `issuers` (throttle, WAF options, log
   * retention, log encryption key, authorizer cache TTL...). A prop a team sets itself wins; nested option
   * objects (`throttle`, `webAclOptions`...) are merged key by key, so a team overrides one value and keeps
   * the others.
   * @default - no defaults beyond the library's
   */
  readonly secureApi?: Omit<Partial<SecureApiProps>, 'issuers'>;
  /**
   * Defaults for every `SecureApiMonitoring` in scope, such as the alarm topic, merged the same way.
   * @default - no defaults beyond the library's
   */
  readonly monitoring?: Omit<Partial<SecureApiMonitoringProps>, 'restApi' | 'stage' | 'authorizerFunction' | 'authorizerLogGroup'>;
  /**
   * The token issuers every `SecureApi` in scope may trust: an issuer URL, or a prefix ending in `/`
   * (`https://cognito-idp.eu-west-1.amazonaws.com/` allows every user pool of that region). An API that
   * trusts another issuer fails synthesis; an issuer known only at deploy time gets a warning.
   * @default - any issuer
   */
  readonly allowedIssuers?: string[];
}

/**
 * `explicit` over `defaults`: a key the caller set (not undefined) wins; plain objects on both sides (not
 * constructs, tokens, `Duration`s or arrays) are merged the same way, key by key; neither input is changed.
 */
export function mergeOrgDefaults<T extends object>(defaults: Partial<T> | undefined, explicit: T): T {
  if (defaults === undefined) {
    return explicit;
  }
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(explicit)) {
    if (value === undefined) {
      continue;
    }
    const fallback = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(fallback) ? mergeOrgDefaults(fallback, value) : value;
  }
  return merged as T;
}

/** Whether an issuer URL is allowed: listed exactly, or under a listed prefix that ends in `/`. */
function isAllowedIssuer(issuer: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => issuer === entry || (entry.endsWith('/') && issuer.startsWith(entry)));
}

class SecureApiInjector implements IPropertyInjector {
  public readonly constructUniqueId = SECURE_API_INJECTION_ID;

  constructor(private readonly props: SecureApiOrgDefaultsProps) {}

  public inject(originalProps: SecureApiProps, context: InjectionContext): SecureApiProps {
    const props = mergeOrgDefaults<SecureApiProps>(this.props.secureApi as Partial<SecureApiProps> | undefined, originalProps);
    const allowed = this.props.allowedIssuers;
    if (allowed !== undefined) {
      for (const issuer of props.issuers ?? []) {
        const url = issuer.bind(context.scope).issuer;
        if (!Token.isUnresolved(url) && !isAllowedIssuer(url, allowed)) {
          throw new SecureApiValidationError(
            `${context.scope.node.path}/${context.id}: 'issuers' must be among the organization's allowedIssuers (${allowed.join(', ')}) (received: '${url}')`,
          );
        }
      }
    }
    return props;
  }
}

class SecureApiMonitoringInjector implements IPropertyInjector {
  public readonly constructUniqueId = SECURE_API_MONITORING_INJECTION_ID;

  constructor(private readonly props: SecureApiOrgDefaultsProps) {}

  public inject(originalProps: SecureApiMonitoringProps): SecureApiMonitoringProps {
    return mergeOrgDefaults<SecureApiMonitoringProps>(this.props.monitoring as Partial<SecureApiMonitoringProps> | undefined, originalProps);
  }
}

/**
 * A platform team's defaults for every secure API in an app, set once with aws-cdk-lib's property
 * injection. Precedence: a prop a team sets on its construct, over the organization's default, over the
 * library's default (`SECURE_API_DEFAULTS`, `MONITORING_DEFAULTS`).
 *
 * ```ts
 * SecureApiOrgDefaults.apply(app, {
 *   secureApi: { throttle: { rateLimit: 50, burstLimit: 100 }, logRetention: logs.RetentionDays.ONE_YEAR },
 *   monitoring: { alarmTopic: platformTopic },
 *   allowedIssuers: ['https://cognito-idp.eu-west-1.amazonaws.com/'],
 * });
 * ```
 */
export class SecureApiOrgDefaults {
  /**
   * Registers the defaults on `scope` (usually the app): every `SecureApi` and `SecureApiMonitoring`
   * created below it picks them up. The nearest registration above a construct wins.
   * @param scope the app, a stage or a stack
   * @param props the defaults
   */
  public static apply(scope: IConstruct, props: SecureApiOrgDefaultsProps): void {
    PropertyInjectors.of(scope).add(new SecureApiInjector(props), new SecureApiMonitoringInjector(props));
  }
}

/**
 * The props a construct is built with once the injectors registered above it have run: the nearest
 * injector for the construct's injection id, as aws-cdk-lib's own `@propertyInjectable` constructs do.
 * @param injectionId the construct's injection id
 * @param scope the construct's scope
 * @param id the construct's id
 * @param props the props the caller passed
 */
export function injectedProps<T>(injectionId: string, scope: Construct, id: string, props: T): T {
  for (let current: IConstruct | undefined = scope; current !== undefined; current = current.node.scope) {
    const injector = PropertyInjectors.of(current).for(injectionId);
    if (injector !== undefined) {
      return injector.inject(props, { scope, id }) as T;
    }
  }
  return props;
}
