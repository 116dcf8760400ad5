/**
 * Request paths for the Consul API: `path?query` with Consul's presence flags (`?stale`, `?recurse`).
 */
import { sanitizeConsulPath } from '../../core/shared/consul-errors';

/** Query parameters; `true` sends a presence flag (`?stale`), `false`/`undefined` are left out. */
export type ConsulQuery = Readonly<Record<string, string | number | boolean | undefined>>;

/** Builds `path?query`; `true` values become bare flags. */
export function buildConsulPath(path: string, query: ConsulQuery = {}): string {
  if (!path.startsWith('/')) throw new TypeError(`Consul path must start with "/": ${sanitizeConsulPath(path)}`);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === false) continue;
    parts.push(v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length === 0 ? path : `${path}${path.includes('?') ? '&' : '?'}${parts.join('&')}`;
}
