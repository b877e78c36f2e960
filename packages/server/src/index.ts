export { startServer } from './server.js';
export type { RunningServer } from './server.js';
export { main } from './main.js';
export { parseSettings, DEFAULT_SETTINGS, SERVER_USAGE } from './config.js';
export type { ServerSettings } from './config.js';
export { loadComponents, ComponentError } from './components.js';
export type { ComponentSpec } from './components.js';
export { createAuthenticator } from './auth.js';
export type { Authenticator } from './auth.js';
