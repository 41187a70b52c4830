/** The URL schemes that name a PostgreSQL database (libpq's and dbmate's). */
export const POSTGRES_SCHEMES = ["postgres:", "postgresql:"] as const;

/**
 * Whether a database argument names a PostgreSQL server rather than a SQLite file.
 * @example isPostgresUrl("postgres://app@db.farm/artist") // true
 */
export const isPostgresUrl = (url: string): boolean => POSTGRES_SCHEMES.some((s) => url.toLowerCase().startsWith(s));

/** A URL as it may be printed: no password. */
export const redactedUrl = (url: string): string => url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, "$1:…@");
