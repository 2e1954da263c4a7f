export * from './type-urls.js';
export * from './proto.js';
export * from './ads-service.js';
export * from './ads-client.js';
export * from './backoff.js';
export * from './convert/context.js';
export * from './proto-json.js';
