/** The nested grid query the permission and audit benchmarks time: houses, owners, residents, rentals, entities. */
export const GRID_QUERY = `query Grid($code: String!) {
  grid(code: $code) {
    name
    houses(first: 20) {
      totalCount
      edges {
        node {
          houseCode
          address
          owner {
            ... on Person { idNumber name phone ownedHouses { houseCode } }
          }
          residents {
            idNumber name phone birthDate
            residences { address house { houseCode } }
          }
          rentals { tenantName }
          legalEntities { name uscc }
        }
      }
    }
  }
}`;
