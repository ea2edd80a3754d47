import { AccessLog, AuditQuery } from './Audit';
import { Grid, HouseConnection } from './Grid';
import { House, Party } from './House';
import { LegalEntity } from './LegalEntity';
import { Person } from './Person';
import { Query } from './Query';
import { Mutation, ResolutionQuery } from './Resolution';
import {
  Discrepancy,
  GridReport,
  ReconciliationMutation,
  ReconciliationQuery,
  ReconciliationRun,
} from './Reconciliation';

export const resolvers = {
  Query: { ...Query, ...ResolutionQuery, ...AuditQuery, ...ReconciliationQuery },
  AccessLog,
  Mutation: { ...Mutation, ...ReconciliationMutation },
  Discrepancy,
  GridReport,
  ReconciliationRun,
  Person,
  House,
  LegalEntity,
  Grid,
  HouseConnection,
  Party,
};
