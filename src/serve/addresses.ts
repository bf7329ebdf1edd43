// Where a listening server can really be reached, and whether that is beyond this machine.
// Fastify reports a server bound to 0.0.0.0 as http://127.0.0.1:PORT, which hides that every
// interface answers; these helpers list the interfaces instead.
import net from 'node:net';
import os from 'node:os';

export interface BoundAddress {
  address: string;
  family: string;
  port: number;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: reachable from this machine only. */
export function isLoopback(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (net.isIPv4(lower)) return lower.startsWith('127.');
  return lower === '::1' || lower.startsWith('::ffff:127.');
}

function url(ip: string, port: number): string {
  return net.isIPv6(ip) ? `http://[${ip}]:${port}` : `http://${ip}:${port}`;
}

/**
 * The URLs clients can use: a wildcard address (0.0.0.0, ::) stands for every interface's
 * address (IPv4 only for 0.0.0.0; both families for ::, which Node binds dual-stack), IPv6
 * link-local addresses left out since they need a zone id.
 */
export function reachableUrls(bound: BoundAddress[], interfaces = os.networkInterfaces()): string[] {
  const urls = new Set<string>();
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  for (const { address, port } of bound) {
    if (address === '0.0.0.0' || address === '::') {
      for (const i of all) {
        if (address === '0.0.0.0' && i.family !== 'IPv4') continue;
        if (i.family === 'IPv6' && i.address.toLowerCase().startsWith('fe80:')) continue;
        urls.add(url(i.address, port));
      }
    } else {
      urls.add(url(address, port));
    }
  }
  return [...urls];
}
