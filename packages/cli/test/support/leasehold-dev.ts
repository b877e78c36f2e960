// The bin shim, from source: tests run `node --conditions=source --import tsx` on this file.
import { main } from '../../src/main.js';

process.exitCode = await main(process.argv.slice(2));
