export { attachStream, STREAM_PATH } from './attach-stream.js';
export { tokenFromHeaders } from '../auth.js';
export type { StreamOptions } from './attach-stream.js';
