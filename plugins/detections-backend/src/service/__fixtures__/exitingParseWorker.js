// A parse worker that starts, then ends at its first batch (BatchParser.test.ts).
const { parentPort } = require('node:worker_threads');
parentPort.on('message', () => process.exit(3));
parentPort.postMessage({ ready: true });
