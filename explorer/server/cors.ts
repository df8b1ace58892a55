/**
 * CORS for /api (the Fetch standard's CORS protocol): off unless the operator lists the
 * origins whose pages may read the API. A request from a listed origin gets
 * Access-Control-Allow-Origin naming it (and Vary: Origin, so that a cache never serves
 * one origin's answer to another); a preflight (OPTIONS with Access-Control-Request-Method)
 * is answered 204 for a listed origin and refused with 403 for any other. No credentials
 * are allowed: the API has no cookies or sessions to protect.
 */
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './validation.js';

/** How long a browser may cache a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_METHODS = 'GET, POST';
const ALLOWED_HEADERS = 'Content-Type, Last-Event-ID';

/** An origin as browsers send it: scheme://host[:port], lower case, no trailing slash. */
function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Whether a browser page of `origin` may talk to the API (no Origin: not a browser page). */
export function corsAllows(allowedOrigins: readonly string[], origin: string | undefined): boolean {
  if (origin === undefined) return true;
  return allowedOrigins.includes('*') || allowedOrigins.map(normalOrigin).includes(normalOrigin(origin));
}

export function corsMiddleware(allowedOrigins: readonly string[]) {
  const any = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map(normalOrigin));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const isPreflight =
      req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    const permitted = origin !== undefined && (any || allowed.has(normalOrigin(origin)));
    // the answer depends on the Origin whenever some origins are listed, allowed or not
    if (allowed.size > 0 && !any) res.append('Vary', 'Origin');
    if (permitted) res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
    if (!isPreflight) {
      next();
      return;
    }
    if (!permitted)
      throw new HttpError(403, 'ORIGIN_NOT_ALLOWED', 'this API does not answer pages of that origin');
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
    res.status(204).end();
  };
}
