export { freePort } from './free-port.js';
export { tempDir, type TempDir } from './temp-dir.js';
export {
  httpRequest,
  type HttpRequestOptions,
  type HttpResult,
  type PeerCertificate,
} from './http-request.js';
export {
  makeTestCa,
  makeTestCertificate,
  writeTestCertificate,
  type TestCaOptions,
  type TestCertificate,
  type TestCertificateFiles,
  type TestCertificateOptions,
} from './certificates.js';
