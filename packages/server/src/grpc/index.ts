export { startGrpcServer, loadDaprService, DAPR_PROTO_PATH } from './grpc-server.js';
export type { GrpcServerOptions, RunningGrpcServer } from './grpc-server.js';
