/** What the audit logs keep about callers. */
export type LogProfile = 'full' | 'minimal' | 'pseudonymous';
