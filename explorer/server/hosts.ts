/**
 * The Host allow-list against DNS rebinding: a web page on an attacker's name that
 * resolves to this node's address reaches the API as same-origin, but its requests carry
 * the attacker's name in the Host header. So a Host that is a DNS name must be one this
 * API is known by. An IP literal cannot be such a name (the page's origin is then this
 * server itself), and the port says nothing about the name, so both pass.
 */
import { isIP } from 'node:net';

/** The host name of a Host header, lower case, without port, brackets or trailing dot. */
export function hostNameOf(header: string): string {
  const text = header.trim().toLowerCase();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    return end < 0 ? text : text.slice(1, end);
  }
  const colon = text.indexOf(':');
  // more than one colon: an unbracketed IPv6 literal, not host:port
  const name = colon >= 0 && text.indexOf(':', colon + 1) < 0 ? text.slice(0, colon) : text;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export class HostAllowList {
  private readonly names: Set<string>;
  private readonly any: boolean;

  /** `boundHost`: the address the API listens on; `allowed`: further names ('*': any). */
  constructor(boundHost: string | undefined, allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.names = new Set(['localhost', ...allowed.map(hostNameOf)]);
    if (boundHost) this.names.add(hostNameOf(boundHost));
  }

  /** Whether a request with this Host header may be answered. */
  allows(header: string | undefined): boolean {
    // only an HTTP/1.0 client omits Host (node refuses an HTTP/1.1 request without one),
    // and no browser does
    if (header === undefined || this.any) return true;
    const name = hostNameOf(header);
    return isIP(name) !== 0 || this.names.has(name);
  }
}
