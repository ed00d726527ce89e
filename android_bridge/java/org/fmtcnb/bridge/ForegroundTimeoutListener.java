package org.fmtcnb.bridge;

/**
 * Told when Android ends the service's foreground time (Android 15: dataSync services get six hours per
 * rolling 24 hours). The Python side implements it through pyjnius; it must return quickly and finish the
 * work (flush buffers, checkpoint, pause jobs) on its own thread, then call
 * {@link DataSyncService#stopAfterTimeout()}.
 */
public interface ForegroundTimeoutListener {
    void onForegroundTimeout(int startId, int foregroundServiceType);
}
