export { DEFAULT_MIRROR_TIMEOUT_MS } from './copy.js';
export { HttpMirror, type HttpMirrorRequest } from './http-mirror.js';
export { mirrorRpc, type RpcMirrorRequest } from './rpc-mirror.js';
