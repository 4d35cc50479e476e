/**
 * The security report, built from a synthesized cloud assembly alone: the model, its builder, and its
 * Markdown rendering.
 */
export * from './model';
export { buildStackReport } from './stack';
export { references, renderValue } from './values';
export { type ReportSource, renderReportMarkdown } from './markdown';
