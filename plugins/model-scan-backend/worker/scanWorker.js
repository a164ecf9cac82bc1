/*
 * Worker thread entry of the model-scan backend: loads the scanning engine
 * (@internal/model-scanner) and scans one file, or reports the engine's identity.
 *
 * Plain CommonJS so it runs without a build step. In the repository the engine is TypeScript
 * source (package.json "main": "src/index.ts"); then the Backstage CLI's node transform
 * (the same one `backstage-cli package start` uses) is registered first. A built package
 * resolves to JavaScript and needs nothing.
 */
const { parentPort, workerData } = require('node:worker_threads');

function loadEngine() {
  const entry = require.resolve('@internal/model-scanner');
  if (/\.[cm]?tsx?$/.test(entry)) {
    require('@backstage/cli/config/nodeTransform.cjs');
  }
  return require('@internal/model-scanner');
}

async function main() {
  const engine = loadEngine();
  if (workerData.mode === 'identity') {
    parentPort.postMessage({
      type: 'identity',
      scannerName: String(engine.SCANNER_NAME ?? 'model-scanner'),
      scannerVersion: String(engine.SCANNER_VERSION),
      rulesetVersion: String(engine.RULESET_VERSION),
    });
    return;
  }
  let lastProgress = 0;
  const result = await engine.scanFile(workerData.path, {
    ...workerData.options,
    // the engine stops itself before the backend's hard limit (SCAN_TIME_LIMIT, findings kept)
    ...(typeof workerData.timeLimitAt === 'number'
      ? { timeLimitMs: Math.max(1, workerData.timeLimitAt - Date.now()) }
      : {}),
    onProgress(bytesDone, bytesTotal) {
      const now = Date.now();
      if (now - lastProgress >= 250 || bytesDone === bytesTotal) {
        lastProgress = now;
        parentPort.postMessage({ type: 'progress', bytesDone, bytesTotal });
      }
    },
  });
  parentPort.postMessage({ type: 'result', result });
}

main().catch(error => {
  parentPort.postMessage({
    type: 'error',
    message: error && error.stack ? String(error.stack) : String(error),
  });
});
