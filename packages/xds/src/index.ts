export * from './type-urls.js';
export * from './proto.js';
export * from './ads-service.js';
