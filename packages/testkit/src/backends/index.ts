export {
  startEchoServer,
  type EchoResponse,
  type EchoServer,
  type EchoServerOptions,
} from './echo-server.js';
