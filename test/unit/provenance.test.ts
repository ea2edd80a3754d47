import type { GraphQLResolveInfo } from 'graphql';
import { compactPath, ProvenanceCollector } from '../../src/graphql/provenance';

type Path = GraphQLResolveInfo['path'];
const path = (...keys: Array<string | number>): Path =>
  keys.reduce<Path | undefined>((prev, key) => ({ prev, key, typename: undefined }), undefined)!;

describe('provenance', () => {
  it('collapses list indexes', () => {
    expect(compactPath(path('grid', 'houses', 'edges', 3, 'node', 'residents', 0, 'name'))).toBe(
      'grid.houses.edges[].node.residents[].name',
    );
    expect(compactPath(path('person', 'name'))).toBe('person.name');
  });

  it('groups paths by department and deduplicates them', () => {
    const c = new ProvenanceCollector();
    for (let i = 0; i < 100; i++) c.record(path('grid', 'houses', i, 'address'), ['housing']);
    c.record(path('person', 'name'), ['police']);
    c.record(path('person', 'idNumber'), ['police', 'civil']);
    expect(c.toJSON()).toEqual({
      civil: ['person.idNumber'],
      housing: ['grid.houses[].address'],
      police: ['person.idNumber', 'person.name'],
    });
  });
});
