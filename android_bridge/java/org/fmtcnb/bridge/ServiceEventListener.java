package org.fmtcnb.bridge;

/**
 * What the bridge's service tells its Python side (implemented there through pyjnius). Every call comes on
 * Android's main thread: {@link #onForegroundTimeout} and {@link #onStartedAgain} must return at once and do
 * their work on a thread of their own; {@link #onStopping} may block for the short checkpoint it needs.
 */
public interface ServiceEventListener {
    /**
     * Android 15 ended the service's dataSync time (six hours in 24): checkpoint and pause every job, then call
     * {@link DataSyncService#stopAfterTimeout()}.
     */
    void onForegroundTimeout(int startId, int foregroundServiceType);

    /** The service was started again while it runs (the user opened the app): jobs that waited may start. */
    void onStartedAgain();

    /** The service is being destroyed and python-for-android ends the process next: checkpoint now. */
    void onStopping();
}
