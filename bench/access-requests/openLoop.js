'use strict';
/*
 * Open-loop load: arrivals follow a fixed schedule, whatever the server answers.
 *
 * A flow's steps are due at fixed times: step 0 at `start`, step i at `start + i * thinkMs`
 * (a reviewer acts a while after the request appears). Flows start every `steps / rate`
 * seconds, so in steady state the steps of all flows together arrive at `rate` per second.
 * A step that depends on the previous one's answer (a review needs the request's id) and whose
 * due time has come before that answer is sent as soon as the answer arrives; its latency is
 * still counted from its DUE time. Latency is always "answer time - scheduled send time", never
 * "answer time - actual send time", so a slow server cannot hide its slowness by delaying the
 * load (no coordinated omission); a late timer of the load generator counts against the server
 * too (conservative; the generator's event-loop use is reported next to the figures).
 *
 * Only steps due inside the measured window [t0, t0 + seconds) are counted; flows start
 * `leadMs` before t0 (untimed warm-up that also fills the pipeline) and steps due after the
 * window still run (so the server sees a steady rate to the end) but are not counted.
 */
const { performance } = require('node:perf_hooks');

/** Sleeps until a performance.now() time. */
function until(t) {
  const ms = t - performance.now();
  return ms > 0 ? new Promise(r => setTimeout(r, ms)) : Promise.resolve();
}

/**
 * @param {object} o
 * @param {number} o.rate         steps per second (all steps of all flows)
 * @param {number} o.seconds      measured window
 * @param {number} o.leadMs       flows start this long before the window (warm-up)
 * @param {number} o.thinkMs      delay between the due times of a flow's consecutive steps
 * @param {number} o.drainMs      after the last due step, wait at most this long for answers
 * @param {{ name: string, run: (prev: any, i: number) => Promise<any> }[]} o.steps
 *        step i gets step i-1's result (undefined for step 0); a rejection is an error
 * @param {() => void} [o.onWindowStart]
 * @param {() => void} [o.onWindowEnd]
 */
async function openLoop(o) {
  const n = o.steps.length;
  const flowIntervalMs = (1000 * n) / o.rate;
  const lat = Object.fromEntries(o.steps.map(s => [s.name, []]));
  // answer time - actual send time (what a closed-loop client would have reported)
  const service = Object.fromEntries(o.steps.map(s => [s.name, []]));
  const errors = Object.fromEntries(o.steps.map(s => [s.name, 0]));
  // steps in the window not sent because an earlier step of their flow failed
  const skipped = Object.fromEntries(o.steps.map(s => [s.name, 0]));
  const samples = [];
  const t0 = performance.now() + o.leadMs;
  const windowEnd = t0 + o.seconds * 1000;
  let sendLagMax = 0;
  // answers (of any step, due in the window or not) that arrived inside the window: the work the
  // server finished there, to divide its CPU time by even when it falls behind
  let answeredInWindow = 0;
  let unanswered = 0;
  let pending = 0;

  const inWindow = due => due >= t0 && due < windowEnd;

  async function flow(start, j) {
    let prev;
    for (let i = 0; i < n; i++) {
      const step = o.steps[i];
      const due = start + i * o.thinkMs;
      await until(due);
      const sent = performance.now();
      // how late the generator's own timer fired (later steps also wait for the answer before)
      if (i === 0 && inWindow(due)) sendLagMax = Math.max(sendLagMax, sent - due);
      try {
        prev = await step.run(prev, j);
        const end = performance.now();
        if (end >= t0 && end < windowEnd) answeredInWindow++;
        if (inWindow(due)) {
          lat[step.name].push(end - due);
          service[step.name].push(end - sent);
        }
      } catch (e) {
        if (inWindow(due)) {
          errors[step.name]++;
          if (samples.length < 5) samples.push(`${step.name}: ${e.message}`.slice(0, 300));
          for (let k = i + 1; k < n; k++) {
            if (inWindow(start + k * o.thinkMs)) skipped[o.steps[k].name]++;
          }
        }
        return;
      }
    }
  }

  // flows whose steps can fall in the window: start in [t0 - (n-1)*think - lead, windowEnd)
  const firstStart = t0 - o.leadMs;
  const flows = [];
  let windowStarted = false;
  let windowEnded = false;
  for (let j = 0; ; j++) {
    const start = firstStart + j * flowIntervalMs;
    if (start >= windowEnd) break;
    await until(start);
    if (!windowStarted && performance.now() >= t0) {
      windowStarted = true;
      o.onWindowStart?.();
    }
    pending++;
    flows.push(
      flow(start, j).finally(() => {
        pending--;
      }),
    );
  }
  // the last flows' later steps are due up to (n-1)*think after the window
  const lastDue = windowEnd + (n - 1) * o.thinkMs;
  await until(windowEnd);
  if (!windowStarted) o.onWindowStart?.();
  if (!windowEnded) {
    windowEnded = true;
    o.onWindowEnd?.();
  }
  const all = Promise.all(flows);
  const drained = await Promise.race([
    all.then(() => true),
    until(lastDue + o.drainMs).then(() => false),
  ]);
  if (!drained) unanswered = pending;
  return {
    lat,
    service,
    errors,
    skipped,
    samples,
    unanswered,
    sendLagMax,
    answeredInWindow,
    windowSeconds: o.seconds,
  };
}

/**
 * Independent calls at a fixed rate (the baseline): call k due at t0 + k / rate, latency from
 * the due time; `run(k)` rejects on an error.
 */
async function openLoopCalls(o) {
  return openLoop({
    ...o,
    thinkMs: 0,
    steps: [{ name: o.name ?? 'call', run: (_prev, k) => o.run(k) }],
  });
}

module.exports = { openLoop, openLoopCalls };
