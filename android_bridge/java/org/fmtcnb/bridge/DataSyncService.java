package org.fmtcnb.bridge;

import android.app.Service;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kivy.android.PythonService;

/**
 * The bridge's foreground service: python-for-android's PythonService plus Android 15's dataSync time limit.
 *
 * <p>When the system calls {@link #onTimeout(int, int)} the service has a few seconds to stop. It tells the
 * Python side (which checkpoints and pauses its jobs, so they stay resumable) and, as a guard, stops by itself
 * after a grace period if Python has not done so. buildozer.spec names this class in
 * {@code android.service_class_name}, so the generated service class extends it.
 */
public class DataSyncService extends PythonService {
    private static volatile ForegroundTimeoutListener timeoutListener = null;
    private static volatile long graceMillis = 3000;

    private final AtomicBoolean stopped = new AtomicBoolean(false);
    private volatile boolean timedOut = false;

    /** Registers the Python listener (null removes it). */
    public static void setTimeoutListener(ForegroundTimeoutListener listener) {
        timeoutListener = listener;
    }

    /** How long (milliseconds) the Python side gets to checkpoint before the service stops by itself. */
    public static void setGraceMillis(long millis) {
        graceMillis = millis;
    }

    /** The id of this service's foreground notification, so Python replaces it instead of adding one. */
    public int notificationId() {
        return getServiceId();
    }

    /** Whether Android has ended this service's foreground time since it started. */
    public boolean hasTimedOut() {
        return timedOut;
    }

    @Override
    public void onTimeout(int startId, int foregroundServiceType) {
        timedOut = true;
        ForegroundTimeoutListener listener = timeoutListener;
        if (listener == null) {
            stopAfterTimeout();
            return;
        }
        try {
            listener.onForegroundTimeout(startId, foregroundServiceType);
        } catch (RuntimeException error) {
            System.err.println("fmtc-nb: timeout listener failed: " + error);
            stopAfterTimeout();
            return;
        }
        Thread guard = new Thread(this::stopAfterGrace, "fmtc-nb-timeout-guard");
        guard.setDaemon(true);
        guard.start();
    }

    /** Leaves the foreground and stops the service; safe to call more than once (only the first acts). */
    public void stopAfterTimeout() {
        if (stopped.compareAndSet(false, true)) {
            stopForeground(Service.STOP_FOREGROUND_REMOVE);
            stopSelf();
        }
    }

    private void stopAfterGrace() {
        try {
            Thread.sleep(graceMillis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        stopAfterTimeout();
    }
}
