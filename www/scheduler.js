// Cooperative pacing for the training workers.
//
// A worker trains in slices of a few tens of milliseconds and yields between them, so
// that its message queue (pause, slider changes, cancel) is served within one slice.
// Yielding through a MessageChannel rather than setTimeout(0) avoids the browsers'
// 4 ms clamping of nested timers, which would cost a tenth of the training time.

/**
 * Returns a function that schedules `run` once on a new task; calls made before it runs
 * are coalesced into that one run.
 */
export function scheduler(run) {
  let queued = false;
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    queued = false;
    run();
  };
  return () => {
    if (!queued) {
      queued = true;
      channel.port2.postMessage(null);
    }
  };
}
