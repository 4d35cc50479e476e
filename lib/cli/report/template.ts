/** Looking things up in a synthesized CloudFormation template. */
import type { CfnResource } from '../cloud-assembly';

/** The template's resources by logical id. */
export type Resources = Record<string, CfnResource>;
/** A JSON object of the template. */
export type AnyRecord = Record<string, unknown>;

/** Whether a value is `Fn::GetAtt` of this logical id and attribute. */
export function isGetAtt(value: unknown, logicalId: string, attribute: string): boolean {
  const getAtt = isRecord(value) ? value['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) && getAtt[0] === logicalId && getAtt[1] === attribute;
}

/** The resources of one type, as `[logicalId, resource]`. */
export function ofType(resources: Resources, type: string): Array<[string, CfnResource]> {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** Whether a value is a JSON object. */
export function isRecord(value: unknown): value is AnyRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number, or a string holding one, as a number; anything else as undefined. */
export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : undefined;
}

/** Orders strings by code unit, for stable sorting. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
