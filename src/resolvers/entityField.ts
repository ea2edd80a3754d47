import type { EntityType } from '../config/types';
import type { RequestContext } from '../graphql/context';
import type { EntityRef, EntityView } from '../model/EntityView';

/** Loads the view behind an entity reference, then derives a field from it. */
export function fromView<T>(derive: (view: EntityView, ctx: RequestContext) => T) {
  return async (ref: EntityRef, _args: unknown, ctx: RequestContext): Promise<T | null> => {
    const view = await ctx.loaders.views[ref.type].load(ref.key);
    return view ? derive(view, ctx) : null;
  };
}

/** An entry point: the reference when any department knows the entity, else null. */
export async function lookup(ctx: RequestContext, type: EntityType, key: string): Promise<EntityRef | null> {
  const view = await ctx.loaders.views[type].load(key);
  return view ? { type, key } : null;
}

export const partyTypeName = (ref: EntityRef): 'Person' | 'LegalEntity' =>
  ref.type === 'PERSON' ? 'Person' : 'LegalEntity';
