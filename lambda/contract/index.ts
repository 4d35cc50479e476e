/**
 * The contract between the constructs (`lib/`) and the authorizer runtime (`lambda/`): the configuration
 * types and their validation, the route logic, the bounds and defaults, and the decision-log vocabulary.
 * It holds no I/O and does not import jose, so the constructs can use it at synth; it is the only part of
 * `lambda/` that `lib/` imports (ESLint enforces both). Every number and name in it is written once.
 */
export * from './config-types';
export * from './config';
export * from './decision-log';
export * from './errors';
export * from './key-refresh-log';
export * from './routes';
export * from './aws-failure';
export * from './deny-list';
export * from './pseudonym';
