// A stand-in for worker/scanWorker.js used only by ScanEngine.test.ts to exercise the time and
// memory limits of the worker threads: it hangs, exhausts its heap, throws or answers.
const { parentPort, workerData } = require('node:worker_threads');

if (workerData.mode === 'identity') {
  parentPort.postMessage({
    type: 'identity',
    scannerName: 'fake',
    scannerVersion: '9',
    rulesetVersion: 'x',
  });
} else if (workerData.path.includes('slow')) {
  // an engine that honours the time limit it is given: it stops at timeLimitAt and reports
  // SCAN_TIME_LIMIT next to what it had already found; without a limit it never ends
  if (typeof workerData.timeLimitAt !== 'number') {
    for (;;) {
      // busy loop: only terminate() stops this
    }
  }
  const timeLimitMs = workerData.timeLimitAt - Date.now();
  setTimeout(() => {
    parentPort.postMessage({
      type: 'result',
      result: {
        path: workerData.path,
        sha256: '',
        size: 10,
        format: 'zip',
        verdict: 'malicious',
        severity: 'critical',
        findings: [
          { ruleId: 'PICKLE_DANGEROUS_GLOBAL', severity: 'critical', message: 'os.system' },
          {
            ruleId: 'SCAN_TIME_LIMIT',
            severity: 'medium',
            message: 'scan stopped at its time limit',
            details: { timeLimitMs },
          },
        ],
        errors: [],
      },
    });
  }, Math.max(0, timeLimitMs));
} else if (workerData.path.includes('hang')) {
  for (;;) {
    // busy loop: only terminate() stops this
  }
} else if (workerData.path.includes('oom')) {
  const keep = [];
  for (;;) keep.push(new Array(100000).fill({ a: Math.random() }));
} else if (workerData.path.includes('throw')) {
  parentPort.postMessage({
    type: 'error',
    message: 'Error: engine exploded\n    at somewhere',
  });
} else {
  parentPort.postMessage({ type: 'progress', bytesDone: 5, bytesTotal: 10 });
  parentPort.postMessage({
    type: 'result',
    result: {
      path: workerData.path,
      sha256: '',
      size: 10,
      format: 'pickle',
      verdict: 'safe',
      severity: 'none',
      findings: [],
      errors: [],
    },
  });
}
