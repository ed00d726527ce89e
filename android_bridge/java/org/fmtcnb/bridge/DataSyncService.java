package org.fmtcnb.bridge;

import android.app.Service;
import android.content.Intent;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kivy.android.PythonService;

/**
 * The bridge's service: python-for-android's PythonService plus what Android tells a service that Python
 * must hear about. buildozer.spec names this class in {@code android.service_class_name}, so the class p4a
 * generates for {@code services = Bridge:...} extends it.
 *
 * <ul>
 *   <li>{@link #onTimeout(int, int)} (Android 15, six hours of dataSync a day): Python checkpoints and stops;
 *       a guard stops the service after a grace period if Python has not.
 *   <li>{@link #onDestroy()}: Python checkpoints before PythonService.onDestroy ends the process.
 *   <li>A second {@link #onStartCommand}: the app was opened while the service runs, so jobs that Android
 *       refused to start from the background may start now.
 * </ul>
 */
public class DataSyncService extends PythonService {
    private static volatile ServiceEventListener listener = null;
    private static volatile long graceMillis = 3000;

    private final AtomicBoolean stopped = new AtomicBoolean(false);
    private volatile boolean started = false;
    private volatile boolean timedOut = false;

    /** Registers the Python listener (null removes it). */
    public static void setListener(ServiceEventListener eventListener) {
        listener = eventListener;
    }

    /** How long (milliseconds) Python gets after onTimeout before the service stops by itself. */
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
    public int onStartCommand(Intent intent, int flags, int startId) {
        boolean again = started;
        started = true;
        int startType = super.onStartCommand(intent, flags, startId);
        ServiceEventListener current = listener;
        if (again && current != null) {
            try {
                current.onStartedAgain();
            } catch (RuntimeException error) {
                System.err.println("fmtc-nb: start listener failed: " + error);
            }
        }
        return startType;
    }

    @Override
    public void onTimeout(int startId, int foregroundServiceType) {
        timedOut = true;
        ServiceEventListener current = listener;
        if (current == null) {
            stopAfterTimeout();
            return;
        }
        try {
            current.onForegroundTimeout(startId, foregroundServiceType);
        } catch (RuntimeException error) {
            System.err.println("fmtc-nb: timeout listener failed: " + error);
            stopAfterTimeout();
            return;
        }
        Thread guard = new Thread(this::stopAfterGrace, "fmtc-nb-timeout-guard");
        guard.setDaemon(true);
        guard.start();
    }

    @Override
    public void onDestroy() {
        ServiceEventListener current = listener;
        if (current != null) {
            try {
                current.onStopping();
            } catch (RuntimeException error) {
                System.err.println("fmtc-nb: stop listener failed: " + error);
            }
        }
        super.onDestroy();
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
