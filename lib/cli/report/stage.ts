/** The stages of a REST API: logging, tracing, web ACLs, and the throttling that applies to each route. */
import type { CfnResource } from '../cloud-assembly';
import type { RouteThrottling, StageReport } from './model';
import { type AnyRecord, type Resources, isRecord, numberOrUndefined, ofType } from './template';
import { describeReference, references } from './values';

/** The most specific stage `MethodSettings` entry for a route: exact route, then the stage-wide `/*`. */
export function throttling(stage: CfnResource, method: string, path: string): RouteThrottling {
  const props = stage.Properties ?? {};
  const stageName = String(props.StageName ?? '?');
  const settings = (Array.isArray(props.MethodSettings) ? props.MethodSettings : []).filter(isRecord);
  const decoded = (setting: AnyRecord): string | undefined => {
    const resourcePath = setting.ResourcePath;
    if (resourcePath === '/*' || resourcePath === '/') {
      return resourcePath;
    }
    // API Gateway escapes '/' as '~1' in MethodSettings resource paths: '/~1items~1{id}' is '/items/{id}'.
    return typeof resourcePath === 'string' ? resourcePath.slice(1).replace(/~1/g, '/') : undefined;
  };
  const hasThrottling = (setting: AnyRecord): boolean => setting.ThrottlingRateLimit !== undefined || setting.ThrottlingBurstLimit !== undefined;
  const specific =
    settings.find((s) => decoded(s) === path && s.HttpMethod === method && hasThrottling(s)) ??
    settings.find((s) => decoded(s) === path && s.HttpMethod === '*' && hasThrottling(s));
  const stageWide = settings.find((s) => decoded(s) === '/*' && (s.HttpMethod === '*' || s.HttpMethod === method) && hasThrottling(s));
  const chosen = specific ?? stageWide;
  if (chosen === undefined) {
    return { stage: stageName, source: 'account' };
  }
  return {
    stage: stageName,
    rateLimit: numberOrUndefined(chosen.ThrottlingRateLimit),
    burstLimit: numberOrUndefined(chosen.ThrottlingBurstLimit),
    source: chosen === specific ? 'method' : 'stage',
  };
}

/** The report of one `AWS::ApiGateway::Stage`. */
export function buildStage(resources: Resources, id: string, stage: CfnResource): StageReport {
  const props = stage.Properties ?? {};
  const stageWide = (Array.isArray(props.MethodSettings) ? props.MethodSettings : [])
    .filter(isRecord)
    .find((setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*');
  const accessLog = isRecord(props.AccessLogSetting) ? props.AccessLogSetting.DestinationArn : undefined;
  const webAcls = ofType(resources, 'AWS::WAFv2::WebACLAssociation')
    .filter(([, association]) => references(association.Properties?.ResourceArn).has(id))
    .flatMap(([, association]) => [...references(association.Properties?.WebACLArn)].filter((ref) => resources[ref]?.Type === 'AWS::WAFv2::WebACL'));
  return {
    logicalId: id,
    stageName: String(props.StageName ?? '?'),
    accessLogDestination: accessLog === undefined ? undefined : describeReference(resources, accessLog),
    loggingLevel: typeof stageWide?.LoggingLevel === 'string' ? stageWide.LoggingLevel : undefined,
    dataTraceEnabled: stageWide?.DataTraceEnabled === true,
    tracingEnabled: props.TracingEnabled === true,
    webAcls,
  };
}
