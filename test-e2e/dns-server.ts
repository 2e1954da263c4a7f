import dgram from 'node:dgram';
import { isIP } from 'node:net';

/** How the test DNS server answers every query now. */
export type DnsMode = 'answer' | 'servfail' | 'silent';

export interface DnsRecords {
  a?: string[];
  aaaa?: string[];
  /** Seconds; 30 unless given. */
  ttl?: number;
}

/**
 * A tiny authoritative DNS server for tests, on 127.0.0.1 UDP port 0: real DNS wire format (RFC 1035), answering
 * A and AAAA questions from a table the test changes at will; unknown names get NXDOMAIN. `mode` makes it answer
 * SERVFAIL or not at all. It never forwards anything anywhere.
 */
export class TestDnsServer {
  readonly records = new Map<string, DnsRecords>();
  mode: DnsMode = 'answer';
  /** Questions received, as `name/TYPE`. */
  readonly queries: string[] = [];
  #socket: dgram.Socket;
  port = 0;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
  }

  static async start(): Promise<TestDnsServer> {
    const socket = dgram.createSocket('udp4');
    const server = new TestDnsServer(socket);
    socket.on('message', (msg, rinfo) => server.#onQuery(msg, rinfo));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    server.port = socket.address().port;
    return server;
  }

  set(name: string, records: DnsRecords): void {
    this.records.set(name.toLowerCase().replace(/\.$/, ''), records);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #onQuery(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const q = parseQuestion(msg);
    if (!q) return; // not a query we can read: no answer
    this.queries.push(`${q.name}/${q.type === 1 ? 'A' : q.type === 28 ? 'AAAA' : q.type}`);
    if (this.mode === 'silent') return;
    let rcode = 0;
    const answers: Buffer[] = [];
    if (this.mode === 'servfail') rcode = 2;
    else {
      const rec = this.records.get(q.name.toLowerCase());
      if (!rec) rcode = 3; // NXDOMAIN
      else {
        const ttl = rec.ttl ?? 30;
        if (q.type === 1) for (const ip of rec.a ?? []) answers.push(resourceRecord(1, ttl, ipv4Bytes(ip)));
        if (q.type === 28) for (const ip of rec.aaaa ?? []) answers.push(resourceRecord(28, ttl, ipv6Bytes(ip)));
      }
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    const rd = msg[2]! & 0x01;
    header[2] = 0x80 | 0x04 | rd; // QR, AA, RD copied
    header[3] = 0x80 | rcode; // RA, rcode
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(answers.length, 6);
    const reply = Buffer.concat([header, msg.subarray(12, q.end), ...answers]);
    this.#socket.send(reply, rinfo.port, rinfo.address);
  }
}

/** The first question of a query: its name, type, and where it ends. */
function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || msg[2]! & 0x80 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= msg.length) return undefined;
    const len = msg[i]!;
    if (len === 0) break;
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  i++;
  if (i + 4 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(i), end: i + 4 };
}

/** An answer for the question's name (a pointer to offset 12), class IN. */
function resourceRecord(type: number, ttl: number, data: Buffer): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(data.length, 10);
  return Buffer.concat([rr, data]);
}

function ipv4Bytes(ip: string): Buffer {
  if (isIP(ip) !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(ip.split('.').map(Number));
}

function ipv6Bytes(ip: string): Buffer {
  if (isIP(ip) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, k) => b.writeUInt16BE(parseInt(g, 16), k * 2));
  return b;
}
