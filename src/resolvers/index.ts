import { AccessLog, AuditQuery } from './Audit';
import { Grid, HouseConnection } from './Grid';
import { House, Party } from './House';
import { LegalEntity } from './LegalEntity';
import { Person } from './Person';
import { Query } from './Query';
import { Mutation, ResolutionQuery } from './Resolution';

export const resolvers = {
  Query: { ...Query, ...ResolutionQuery, ...AuditQuery },
  AccessLog,
  Mutation,
  Person,
  House,
  LegalEntity,
  Grid,
  HouseConnection,
  Party,
};
