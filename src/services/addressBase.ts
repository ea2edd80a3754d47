import type { Connector } from '../connectors/Connector';
import { SourceUnavailableError } from '../errors';
import type { AddressBase } from '../resolution/matcher/addressBase';
import { loadAddressBase } from '../resolution/matcher/loadAddressBase';

/**
 * The hub's copy of housing's standard address base, loaded on first use and replaced when the
 * crosswalk is rebuilt. A failed load is not cached: the next request tries again.
 */
export class AddressBaseCache {
  private loading: Promise<AddressBase> | null = null;

  constructor(private readonly housing: Connector) {}

  get(): Promise<AddressBase> {
    if (this.loading === null) {
      const attempt = loadAddressBase(this.housing);
      this.loading = attempt;
      attempt.catch(() => {
        if (this.loading === attempt) this.loading = null;
      });
    }
    return this.loading.catch((err: unknown) => {
      throw new SourceUnavailableError(this.housing.department, (err as Error).message);
    });
  }

  /** The base a crosswalk build just made from the house records it read. */
  set(base: AddressBase): void {
    this.loading = Promise.resolve(base);
  }
}
