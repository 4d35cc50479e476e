import type { StandardRule } from '../rule';
import { authOnEveryMethod } from './auth-on-every-method';
import { functionUrlAuth } from './function-url-auth';
import { httpApiRouteAuth } from './http-api-route-auth';
import { logRetention } from './log-retention';

/** Every rule of the API standard, in report order. */
export const STANDARD_RULES: readonly StandardRule[] = Object.freeze([authOnEveryMethod, httpApiRouteAuth, functionUrlAuth, logRetention]);
