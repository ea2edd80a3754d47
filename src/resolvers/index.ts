import { Grid, HouseConnection } from './Grid';
import { House, Party } from './House';
import { LegalEntity } from './LegalEntity';
import { Person } from './Person';
import { Query } from './Query';

export const resolvers = { Query, Person, House, LegalEntity, Grid, HouseConnection, Party };
