/**
 * A synthesized CloudFormation template as the API standard reads it: resources by logical id and type,
 * and the references between them. The checks run on templates, not constructs, so they see every API in
 * an app however it was built (our constructs, hand-wired L2s, L1s, included templates) and so the report
 * can check a synthesized app from `cdk.out` alone.
 */

/** One resource of a template. */
export interface TemplateResource {
  /** The logical id. */
  readonly logicalId: string;
  /** The CloudFormation type, e.g. `AWS::ApiGateway::Method`. */
  readonly type: string;
  /** Its `Properties` (an empty object when it has none). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Its `Metadata` (an empty object when it has none). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The construct path CDK records in `Metadata['aws:cdk:path']`, when present. */
  readonly constructPath?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template's resources, indexed for the checks. */
export class StackTemplate {
  /** Every resource, in template order. */
  public readonly resources: readonly TemplateResource[];
  private readonly byId: ReadonlyMap<string, TemplateResource>;

  /**
   * @param name the stack (or template file) name, for reports
   * @param template the parsed template
   */
  constructor(
    public readonly name: string,
    template: unknown,
  ) {
    const resources = isRecord(template) && isRecord(template.Resources) ? template.Resources : {};
    this.resources = Object.entries(resources)
      .filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]) && typeof entry[1].Type === 'string')
      .map(([logicalId, resource]) => {
        const metadata = isRecord(resource.Metadata) ? resource.Metadata : {};
        const path = metadata['aws:cdk:path'];
        return {
          logicalId,
          type: resource.Type as string,
          properties: isRecord(resource.Properties) ? resource.Properties : {},
          metadata,
          ...(typeof path === 'string' ? { constructPath: path } : {}),
        };
      });
    this.byId = new Map(this.resources.map((resource) => [resource.logicalId, resource]));
  }

  /** The resources of one CloudFormation type. */
  public ofType(type: string): TemplateResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** The resource with this logical id, if any. */
  public resource(logicalId: string): TemplateResource | undefined {
    return this.byId.get(logicalId);
  }

  /**
   * The resource a value points at: `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attribute] }` (or `'id.attribute'`)
   * of a resource of this template; undefined for anything else (a literal, an import, a parameter).
   */
  public referenced(value: unknown): TemplateResource | undefined {
    const id = referencedId(value);
    return id === undefined ? undefined : this.byId.get(id);
  }
}

/** The logical id a `Ref` or `Fn::GetAtt` names, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  if (typeof value.Ref === 'string') {
    return value.Ref;
  }
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
    return getAtt[0];
  }
  return typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
}

/**
 * Whether a value refers to the resource anywhere inside it: a `Ref` or `Fn::GetAtt` of it, or `${id}` /
 * `${id.Attribute}` in an `Fn::Sub` string, at any depth (inside `Fn::Join`, `Fn::Select`...).
 */
export function refersTo(value: unknown, logicalId: string): boolean {
  if (Array.isArray(value)) {
    return value.some((item) => refersTo(item, logicalId));
  }
  if (!isRecord(value)) {
    return false;
  }
  if (referencedId(value) === logicalId) {
    return true;
  }
  const sub = value['Fn::Sub'];
  const subText = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  if (subText !== undefined && (subText.includes(`\${${logicalId}}`) || subText.includes(`\${${logicalId}.`))) {
    return true;
  }
  return Object.values(value).some((item) => refersTo(item, logicalId));
}

/** A property path's value, or undefined when any step is missing: `at(props, 'AccessLogSetting', 'Format')`. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number' ? !Array.isArray(current) : !isRecord(current)) {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** A value as a list: a list stays as it is, anything else is empty. */
export const listAt = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
