/** How the crosswalk decided that a source record refers to an entity. */
export const LINK_METHODS = ['EXACT_KEY', 'ADDRESS_MATCH', 'MANUAL'] as const;
export type LinkMethod = (typeof LINK_METHODS)[number];

export const EXACT_KEY_MATCHER_VERSION = 'exact-key/1';
export const MANUAL_MATCHER_VERSION = 'manual';
