/**
 * Whether the error messages of per-request failures are left out. Only the bundled handler leaves them
 * out: its bundler defines `process.env.SECURE_API_TERSE_ERRORS` as `"1"`, so every message behind this
 * flag is dropped from the bundle (the decision log carries reason codes, never messages). Everywhere
 * else (the `cdk-secure-api/authorizer` API, tests) the messages are whole.
 */
export const TERSE = process.env.SECURE_API_TERSE_ERRORS === '1';
