import type { LoadedConfig } from '../config/loadConfig';
import type { Connectors } from '../connectors/createConnectors';
import type { AddressBaseCache } from '../services/addressBase';
import type { HubStore } from '../store/HubStore';

/** Everything a request needs that lives longer than the request. */
export interface Hub {
  readonly loaded: LoadedConfig;
  readonly connectors: Connectors;
  readonly store: HubStore;
  /** Housing's standard address base, for matchAddress and manual decisions. */
  readonly addressBase: AddressBaseCache;
  /** Today's date (YYYY-MM-DD) for "active" and "current"; injectable so tests are stable. */
  readonly today: () => string;
}

export const shanghaiToday = (): string =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
