import type { Department } from '../config/types';

/** Pseudo-department for values Zhiwang derives itself (the crosswalk, the grid registry). */
export type Origin = Department | 'hub';

const ATTRIBUTED = Symbol('attributed');

/** A value with the departments whose data it shows; `unavailable` names a department that was down. */
export interface Attributed {
  readonly [ATTRIBUTED]: true;
  readonly value: unknown;
  readonly origins: readonly Origin[];
  readonly unavailable?: { readonly department: Department; readonly reason: string };
}

/** Any object whose leaves carry attribution. The GraphQL layer reads its fields through it. */
export interface AttributedObject {
  readonly attributes: Readonly<Record<string, Attributed>>;
}

export const attributed = (value: unknown, origins: readonly Origin[]): Attributed => ({
  [ATTRIBUTED]: true,
  value: value ?? null,
  origins: value === null || value === undefined ? [] : origins,
});

export const unavailableValue = (department: Department, reason: string): Attributed => ({
  [ATTRIBUTED]: true,
  value: null,
  origins: [],
  unavailable: { department, reason },
});

export const isAttributed = (v: unknown): v is Attributed =>
  typeof v === 'object' && v !== null && ATTRIBUTED in v;

export function isAttributedObject(v: unknown): v is AttributedObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    'attributes' in v &&
    typeof (v as AttributedObject).attributes === 'object'
  );
}
