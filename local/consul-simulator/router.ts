/**
 * Route table with Go `http.ServeMux` semantics, as Consul registers its endpoints: exact patterns, subtree patterns
 * ending in `/` (longest wins), and a 301 to the subtree root when only its trailing slash is missing.
 */
import { Reply } from './reply';
import { RequestContext } from './request-context';

/** A route handler. */
export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

/** One registered endpoint. */
export interface Route {
  /** Go ServeMux pattern, e.g. `/v1/acl/token` (exact) or `/v1/acl/token/` (subtree). */
  readonly pattern: string;
  /** Methods Consul registers for the pattern (`OPTIONS` is implied). */
  readonly methods: readonly string[];
  /** Serves the request; enforces the endpoint's row of `ENDPOINT_ACL` through `ctx.enforceAcl()`/`ctx.aclFilter()`. */
  readonly handler: Handler;
  /**
   * Served by the agent itself (agent endpoints, status): errors never get the client agent's
   * `rpc error making call: ` prefix.
   * @default false
   */
  readonly local?: boolean;
}

/** Result of {@link Router.resolve}. */
export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly suffix: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'none' };

/** The route table. */
export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly subtrees: Route[] = [];
  private readonly all: Route[] = [];

  /** Registers routes. */
  add(...routes: Route[]): this {
    for (const route of routes) {
      this.all.push(route);
      if (route.pattern.endsWith('/')) {
        this.subtrees.push(route);
        this.subtrees.sort((a, b) => b.pattern.length - a.pattern.length);
      } else this.exact.set(route.pattern, route);
    }
    return this;
  }

  /** Every registered route, in registration order. */
  routes(): readonly Route[] {
    return this.all;
  }

  /** Finds the route for a path. */
  resolve(path: string): RouteMatch {
    const exact = this.exact.get(path);
    if (exact) return { kind: 'route', route: exact, suffix: '' };
    if (this.subtrees.some((r) => r.pattern === `${path}/`)) return { kind: 'redirect', location: `${path}/` };
    const sub = this.subtrees.find((r) => path.startsWith(r.pattern));
    return sub ? { kind: 'route', route: sub, suffix: path.slice(sub.pattern.length) } : { kind: 'none' };
  }
}
