/**
 * Node's stream handle binding (the layer under `net.Socket`: libuv's TCP and pipe handles, their write and
 * shutdown requests, and the shared state a read or write reports through). `net.Socket` is a Duplex stream over
 * such a handle; for a proxy that moves small messages most of its per-read and per-write cost is the stream
 * machinery, not the system call (benchmarks/README.md, "I/O without streams"). `process.binding` is Node's
 * documented-deprecated (DEP0111, documentation only) route to the allowlisted bindings; where it is missing or
 * changed (here, or in the start-up check: check.ts) this module yields undefined and every connection goes
 * through `net.Socket`, as before.
 */
export interface StreamHandle {
  onread: (arrayBuffer: ArrayBuffer | undefined) => void;
  readStart(): number;
  /** Read into this buffer from now on (the read callback then gets no ArrayBuffer: the bytes are in it). */
  useUserBuffer(buffer: Uint8Array): void;
  readStop(): number;
  writeBuffer(req: WriteRequest, data: Buffer): number;
  writev(req: WriteRequest, chunks: readonly Buffer[], allBuffers: boolean): number;
  shutdown(req: ShutdownRequest): number;
  close(callback?: () => void): void;
  setNoDelay?(enable: boolean): number;
  getpeername?(out: { address?: string; port?: number; family?: string }): number;
  getsockname?(out: { address?: string; port?: number; family?: string }): number;
}

export interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  /** Keeps the written memory alive until the kernel took it. */
  buffer: Buffer | readonly Buffer[] | null;
  /** Bytes of this write (an asynchronous one). */
  bytes: number;
  owner: unknown;
}

export interface ShutdownRequest {
  handle: StreamHandle;
  oncomplete: (this: ShutdownRequest, status: number) => void;
  owner: unknown;
}

export interface LibuvBinding {
  WriteWrap: new () => WriteRequest;
  ShutdownWrap: new () => ShutdownRequest;
  /** [kReadBytesOrError]: bytes of the last read, or a negative libuv error; [kArrayBufferOffset]: where they start. */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
  UV_EOF: number;
  UV_ENOTCONN: number;
  errname(code: number): string;
}

function load(): LibuvBinding | undefined {
  if (process.env.MOSN_NET_TRANSPORT === 'socket') return undefined;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const sw = binding('stream_wrap');
    const uv = binding('uv');
    const b = {
      WriteWrap: sw.WriteWrap,
      ShutdownWrap: sw.ShutdownWrap,
      streamBaseState: sw.streamBaseState,
      kReadBytesOrError: sw.kReadBytesOrError,
      kArrayBufferOffset: sw.kArrayBufferOffset,
      kBytesWritten: sw.kBytesWritten,
      kLastWriteWasAsync: sw.kLastWriteWasAsync,
      UV_EOF: uv.UV_EOF,
      UV_ENOTCONN: uv.UV_ENOTCONN,
      errname: uv.errname,
    };
    const ok =
      typeof b.WriteWrap === 'function' &&
      typeof b.ShutdownWrap === 'function' &&
      b.streamBaseState instanceof Int32Array &&
      [b.kReadBytesOrError, b.kArrayBufferOffset, b.kBytesWritten, b.kLastWriteWasAsync, b.UV_EOF, b.UV_ENOTCONN].every(
        (n) => typeof n === 'number',
      ) &&
      typeof b.errname === 'function';
    return ok ? (b as LibuvBinding) : undefined;
  } catch {
    return undefined;
  }
}

let binding: LibuvBinding | undefined = load();

/** The binding, or undefined where it cannot be used (then connections use `net.Socket`). */
export function libuvBinding(): LibuvBinding | undefined {
  return binding;
}

/** Use `net.Socket` for every connection from now on (the binding failed the start-up check). */
export function disableHandleTransport(): void {
  binding = undefined;
}

/**
 * A connected socket's handle that a HandleTransport can drive, or undefined: libuv's own stream handles (TCP,
 * Pipe), or a TLS socket's TLSWrap once its handshake is done (it reads and writes plaintext; encryption stays in
 * OpenSSL through Node's TLS code, which keeps the socket as the handle's owner for alerts and session tickets).
 */
export function adoptableHandle(socket: {
  _handle?: unknown;
  connecting?: boolean;
  destroyed?: boolean;
  readableLength?: number;
  readableEnded?: boolean;
  encrypted?: boolean;
}): StreamHandle | undefined {
  if (!binding || socket.connecting || socket.destroyed) return undefined;
  // Bytes (or the end) the socket already read and holds (a listener peeked at them) stay with the socket.
  if ((socket.readableLength ?? 0) > 0 || socket.readableEnded) return undefined;
  const h = socket._handle as Partial<StreamHandle> | null | undefined;
  if (!h || typeof h.writev !== 'function' || typeof h.readStart !== 'function' || typeof h.shutdown !== 'function') return undefined;
  const name = (h as { constructor?: { name?: string } }).constructor?.name;
  if (name === 'TCP' || name === 'Pipe') return h as StreamHandle;
  if (name === 'TLSWrap' && socket.encrypted === true && process.env.MOSN_TLS_TRANSPORT !== 'socket') return h as StreamHandle;
  return undefined;
}

/** A libuv error code as an Error like Node's (`code` = 'ECONNRESET' ...). */
export function uvError(code: number, syscall: string): NodeJS.ErrnoException {
  let name = 'EUNKNOWN';
  try {
    name = binding?.errname(code) ?? name;
  } catch {
    // an unknown code keeps EUNKNOWN
  }
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${name}`);
  err.code = name;
  err.errno = code;
  err.syscall = syscall;
  return err;
}
