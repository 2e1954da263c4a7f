/** Test helpers of @mosn/net, for this and other packages' tests (`@mosn/net/testing`); not part of the library. */
export { generateTestCerts, type IssueOptions, type TestCert, type TestCerts } from './certs.js';
