/** "host:port", "[v6 host]:port" or ":port" (loopback); port 0 asks the OS for a free port. */
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(value.trim());
  if (!match) throw new Error(`expected HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:50051), got "${value}"`);
  const port = Number(match[3]);
  if (port > 65_535) throw new Error(`port ${port} is out of range (0-65535)`);
  const host = match[1] ?? match[2] ?? "";
  return { host: host === "" ? "127.0.0.1" : host, port };
}

export function formatListenAddress({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Loopback hosts: everything else is reachable from other machines. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
