export { attachStream, tokenFromHeaders, STREAM_PATH } from './attach-stream.js';
export type { StreamOptions } from './attach-stream.js';
