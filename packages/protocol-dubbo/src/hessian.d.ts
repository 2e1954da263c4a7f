/** The part of hessian.js 2.11 (no bundled types) that this package uses. */
declare module 'hessian.js' {
  class DecoderV2 {
    constructor(buf?: Buffer);
    /** Decode the value at the current position and move past it; throws on bytes it cannot read. */
    read(withType?: boolean): unknown;
    position(): number;
    position(offset: number): this;
  }
  class EncoderV2 {
    /** `mapTypes`: Java map classes written as a typed map (`M` + type) rather than an object. */
    constructor(options?: { size?: number; mapTypes?: Record<string, boolean> });
    write(value: unknown): this;
    writeString(value: string): this;
    writeNull(): this;
    /** A copy of the bytes written since the last reset. */
    get(): Buffer;
    reset(): this;
  }
  const hessian: {
    DecoderV2: typeof DecoderV2;
    EncoderV2: typeof EncoderV2;
    decode(buf: Buffer, version?: '1.0' | '2.0'): unknown;
    encode(value: unknown, version?: '1.0' | '2.0'): Buffer;
  };
  export = hessian;
}
