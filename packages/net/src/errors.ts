/**
 * One base error for every layer. `code` is stable (`MOSN_ERR_...`) and listed in docs/errors.md;
 * the message is for people and may change.
 */
export class MosnError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MosnError';
    this.code = code;
  }
}
