// IP addresses and CIDR blocks for the IpAddress / NotIpAddress condition operators on
// aws:SourceIp. Pure and browser-safe (no `net` module): addresses become bit strings of 32
// (IPv4) or 128 (IPv6) bits, and a block matches when its prefix bits are equal.

export interface IpBlock {
  family: 4 | 6;
  bits: string;
  prefix: number;
}

function ipv4Bits(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let bits = '';
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bits += Number(p).toString(2).padStart(8, '0');
  }
  return bits;
}

function ipv6Bits(text: string): string | undefined {
  let head = text;
  let tail4 = '';
  // An embedded IPv4 address in the last 32 bits, e.g. ::ffff:192.0.2.1.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bits(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail4 = v4;
    head = text.slice(0, lastColon) + (text.slice(0, lastColon).endsWith(':') ? ':' : '');
  }
  const groupsWanted = tail4 ? 6 : 8;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const left = split(halves[0]);
  const right = halves.length === 2 ? split(halves[1]) : [];
  const missing = groupsWanted - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let bits = '';
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    bits += parseInt(g, 16).toString(2).padStart(16, '0');
  }
  return bits + tail4;
}

/** The bits of an IPv4 or IPv6 address; undefined when `text` is not one. */
export function parseIp(text: string): { family: 4 | 6; bits: string } | undefined {
  if (text.includes(':')) {
    const bits = ipv6Bits(text);
    return bits === undefined ? undefined : { family: 6, bits };
  }
  const bits = ipv4Bits(text);
  return bits === undefined ? undefined : { family: 4, bits };
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a plain address (a block of one); undefined when malformed. */
export function parseCidr(text: string): IpBlock | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ...ip, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { ...ip, prefix: Number(prefixText) };
}

/** True when `address` lies in `block`. An IPv4 address never lies in an IPv6 block, and the reverse. */
export function cidrContains(block: IpBlock, address: { family: 4 | 6; bits: string }): boolean {
  return block.family === address.family && block.bits.slice(0, block.prefix) === address.bits.slice(0, block.prefix);
}
