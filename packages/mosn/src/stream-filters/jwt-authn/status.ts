/**
 * How a JWT check ended, as Envoy's jwt_verify_lib names it; a refusal's body is the status's text (Envoy's words),
 * so a client sees why.
 */
export type JwtStatus =
  | 'ok'
  | 'missing'
  | 'bad_format'
  | 'bad_header'
  | 'bad_payload'
  | 'unsupported_alg'
  | 'not_yet_valid'
  | 'expired'
  | 'unknown_issuer'
  | 'audience_not_allowed'
  | 'kid_alg_mismatch'
  | 'verification_failed'
  | 'jwks_fetch_failed';

const TEXT: Readonly<Record<JwtStatus, string>> = {
  ok: 'OK',
  missing: 'Jwt is missing',
  bad_format: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  bad_header: 'Jwt header is an invalid Base64url encoded JSON object',
  bad_payload: 'Jwt payload is an invalid Base64url encoded JSON object with valid claim types',
  unsupported_alg: 'Jwt header [alg] field value is invalid or not supported',
  not_yet_valid: 'Jwt not yet valid',
  expired: 'Jwt is expired',
  unknown_issuer: 'Jwt issuer is not configured',
  audience_not_allowed: 'Audiences in Jwt are not allowed',
  kid_alg_mismatch: 'Jwks doesn\'t have key to match kid or alg from Jwt',
  verification_failed: 'Jwt verification fails',
  jwks_fetch_failed: 'Jwks remote fetch is failed',
};

/** The status in words (a refusal's body). */
export function statusText(status: JwtStatus): string {
  return TEXT[status];
}
