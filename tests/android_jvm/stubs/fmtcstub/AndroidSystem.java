package fmtcstub;

import android.app.ForegroundServiceStartNotAllowedException;
import android.app.InvalidForegroundServiceTypeException;
import android.app.MissingForegroundServiceTypeException;
import android.app.Notification;
import android.app.Service;
import android.content.ComponentName;
import android.content.Intent;
import android.content.pm.ServiceInfo;
import android.os.Build;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Test-only: the Android system as the bridge's service meets it, applying the rules of
 * android_bridge/lifecycle_rules.py. Each rule's first API level comes from -Dstub.rule.ID=API and its
 * durations, scaled down, from -Dstub.idleStopMs, -Dstub.dataSyncBudgetMs and -Dstub.timeoutGraceMs (the
 * tests derive all of them from that table). Lifecycle callbacks run on one "main" thread, as on Android;
 * a process death ends this JVM at once (Runtime.halt, exit code {@link #PROCESS_DEATH}), unless
 * -Dstub.appProcessOnly=true says this JVM plays the app's process only.
 */
public final class AndroidSystem {
    public static final int PROCESS_DEATH = 9;
    private static final AndroidSystem INSTANCE = new AndroidSystem();
    private static final int TICK_MS = 20;

    private final ExecutorService main = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "main");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Class<?>, Service> running = new LinkedHashMap<>();
    private final Map<Service, Integer> foreground = new LinkedHashMap<>();
    private final Map<Service, Integer> lastStartId = new LinkedHashMap<>();
    private final java.util.Set<Service> stopping = new java.util.HashSet<>();
    private int startIds = 0;
    private boolean appVisible = !"false".equals(System.getProperty("stub.appVisible", "true"));
    private boolean batteryExempt = Boolean.getBoolean("stub.ignoring");
    private long lastActiveMs = System.currentTimeMillis();
    private long dataSyncUsedMs = 0;
    private boolean dataSyncExhausted = false;
    private final List<Object> wakeLocksHeld = new ArrayList<>();

    private AndroidSystem() {
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (error instanceof UnsatisfiedLinkError) {
                Calls.record("PythonService thread: no native Python here (the test's Python runs the service)");
            } else {
                Calls.record("Uncaught in " + thread.getName() + ": " + error);
                error.printStackTrace();
            }
        });
        Thread ticker = new Thread(this::tickForever, "system");
        ticker.setDaemon(true);
        ticker.start();
    }

    public static AndroidSystem get() {
        return INSTANCE;
    }

    /** A system-made object (Android's system services have no public constructors). */
    public static <T> T create(Class<T> type) {
        try {
            java.lang.reflect.Constructor<T> constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (ReflectiveOperationException error) {
            throw new IllegalStateException(error);
        }
    }

    private static boolean rule(String id, int firstApi) {
        return Build.VERSION.SDK_INT >= Integer.getInteger("stub.rule." + id, firstApi);
    }

    // -- the user ---------------------------------------------------------------------------------------------
    public synchronized void openApp() {
        appVisible = true;
        dataSyncExhausted = false;
        dataSyncUsedMs = 0;
        Calls.record("User: opens the app");
    }

    public synchronized void leaveApp() {
        appVisible = false;
        lastActiveMs = System.currentTimeMillis();
        Calls.record("User: leaves the app");
    }

    public void swipeAway() {
        List<Service> services;
        synchronized (this) {
            appVisible = false;
            lastActiveMs = System.currentTimeMillis();
            services = new ArrayList<>(running.values());
        }
        Calls.record("User: swipes the app away from recents");
        for (Service service : services) {
            main.execute(() -> service.onTaskRemoved(new Intent("android.intent.action.MAIN")));
        }
    }

    public synchronized void setBatteryExempt(boolean exempt) {
        batteryExempt = exempt;
        Calls.record("User: battery optimisation " + (exempt ? "off" : "on") + " for the app");
    }

    public synchronized boolean isBatteryExempt() {
        return batteryExempt;
    }

    public void revokePermission(String permission) {
        Calls.revoke(permission);
        if (rule("permission_revoked_kills_process", 23)) {
            killProcess("permissions revoked: " + permission);
        }
    }

    // -- services -------------------------------------------------------------------------------------------
    public ComponentName startService(Intent intent) {
        synchronized (this) {
            if (!appVisible && rule("background_start_service_refused", 26)) {
                throw new IllegalStateException("Not allowed to start service " + intent + ": app is in background");
            }
        }
        main.execute(() -> deliverStart(componentOf(intent), intent));
        return intent.getComponent();
    }

    private static Class<?> componentOf(Intent intent) {
        try {
            return Class.forName(intent.getComponent().getClassName());
        } catch (ClassNotFoundException error) {
            throw new IllegalArgumentException("no service class " + intent.getComponent().getClassName(), error);
        }
    }

    /** Android recreating a sticky service after its process died: onStartCommand with a null intent. */
    public void restartSticky(Class<?> serviceClass) {
        Calls.record("System: recreates the sticky service " + serviceClass.getSimpleName());
        main.execute(() -> deliverStart(serviceClass, null));
    }

    private void deliverStart(Class<?> serviceClass, Intent intent) {
        Service service;
        int startId;
        boolean created = false;
        synchronized (this) {
            service = running.get(serviceClass);
            if (service == null) {
                try {
                    service = (Service) serviceClass.getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException error) {
                    throw new IllegalStateException(error);
                }
                running.put(serviceClass, service);
                created = true;
            }
            startId = ++startIds;
            lastStartId.put(service, startId);
        }
        if (created) {
            Calls.record("System: onCreate " + serviceClass.getSimpleName());
            service.onCreate();
        }
        int startType = service.onStartCommand(intent, 0, startId);
        Calls.record("System: onStartCommand startId=" + startId + " returned " + startType);
    }

    public boolean stopService(Intent intent) {
        main.execute(() -> destroy(componentOf(intent), "stopService"));
        return true;
    }

    public void stopSelf(Service service) {
        Calls.record("Service.stopSelf");
        main.execute(() -> destroy(service.getClass(), "stopSelf"));
    }

    private void destroy(Class<?> serviceClass, String why) {
        Service service;
        synchronized (this) {
            service = running.remove(serviceClass);
            if (service == null) {
                return;
            }
            stopping.remove(service);
            leaveForeground(service);
        }
        Calls.record("System: onDestroy " + serviceClass.getSimpleName() + " (" + why + ")");
        service.onDestroy();
    }

    public synchronized boolean isRunning(String simpleName) {
        return running.keySet().stream().anyMatch(c -> c.getSimpleName().equals(simpleName));
    }

    public synchronized boolean isForeground(String simpleName) {
        return foreground.keySet().stream().anyMatch(s -> s.getClass().getSimpleName().equals(simpleName));
    }

    // -- the foreground -------------------------------------------------------------------------------------
    public void startForeground(Service service, int id, Notification notification, int type) {
        synchronized (this) {
            String declared = System.getProperty("stub.manifestFgsType", "dataSync");
            if (rule("fgs_type_required", 34)) {
                if (declared.isEmpty()) {
                    throw new MissingForegroundServiceTypeException("Starting FGS without a type");
                }
                if (type != -1 && !(type == ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC && declared.equals("dataSync"))) {
                    throw new InvalidForegroundServiceTypeException("type " + type + " is not declared: " + declared);
                }
            }
            if (!foreground.containsKey(service)) {
                if (dataSyncExhausted && rule("data_sync_timeout", 35)) {
                    throw new ForegroundServiceStartNotAllowedException(
                            "Time limit already exhausted for foreground service type dataSync");
                }
                if (!appVisible && !batteryExempt && rule("fgs_background_start_refused", 31)) {
                    throw new ForegroundServiceStartNotAllowedException(
                            "startForeground() not allowed due to mAllowStartForeground false");
                }
            }
            foreground.put(service, type);
        }
        Calls.record("Service.startForeground id=" + id + (type == -1 ? "" : " type=" + type) + " " + notification);
        show(id, notification, "shown");
    }

    public void stopForeground(Service service, String how) {
        synchronized (this) {
            leaveForeground(service);
        }
        Calls.record("Service.stopForeground " + how);
    }

    private void leaveForeground(Service service) {
        if (foreground.remove(service) != null) {
            lastActiveMs = Math.max(lastActiveMs, System.currentTimeMillis());
        }
    }

    public void show(int id, Notification notification, String verb) {
        if (rule("post_notifications_runtime", 33) && !Calls.isGranted("android.permission.POST_NOTIFICATIONS")) {
            Calls.record("Notification id=" + id + " not shown (no POST_NOTIFICATIONS) " + notification);
        } else if (!verb.equals("shown")) {
            Calls.record("NotificationManager.notify id=" + id + " " + notification);
        }
    }

    // -- wake locks and the process -------------------------------------------------------------------------
    public synchronized void wakeLockHeld(Object lock, boolean held) {
        wakeLocksHeld.remove(lock);
        if (held) {
            wakeLocksHeld.add(lock);
        }
    }

    public synchronized int wakeLocksHeld() {
        return wakeLocksHeld.size();
    }

    public void killProcess(String why) {
        synchronized (this) {
            if (!wakeLocksHeld.isEmpty()) {
                Calls.record("System: the dead process's wake lock is released");
            }
        }
        Calls.record("Process ends (" + why + ")");
        if (Boolean.getBoolean("stub.appProcessOnly")) {
            return; // this JVM plays the app's process; the service's own process is the one that ended
        }
        Runtime.getRuntime().halt(PROCESS_DEATH);
    }

    // -- time -----------------------------------------------------------------------------------------------
    private void tickForever() {
        long last = System.currentTimeMillis();
        while (true) {
            try {
                Thread.sleep(TICK_MS);
            } catch (InterruptedException interrupted) {
                return;
            }
            long now = System.currentTimeMillis();
            tick(now, now - last);
            last = now;
        }
    }

    private void tick(long now, long elapsedMs) {
        List<Service> idle = new ArrayList<>();
        Service timedOut = null;
        int timedOutStartId = 0;
        synchronized (this) {
            if (!appVisible && !foreground.isEmpty() && rule("data_sync_timeout", 35)) {
                dataSyncUsedMs += elapsedMs;
                if (dataSyncUsedMs >= Long.getLong("stub.dataSyncBudgetMs", 6L * 3600 * 1000) && !dataSyncExhausted) {
                    dataSyncExhausted = true;
                    timedOut = foreground.keySet().iterator().next();
                    timedOutStartId = lastStartId.getOrDefault(timedOut, 1);
                    leaveForeground(timedOut);
                }
            }
            if (!appVisible && rule("idle_background_service_stopped", 26)
                    && now - lastActiveMs >= Long.getLong("stub.idleStopMs", 60_000L)) {
                for (Service service : running.values()) {
                    if (!foreground.containsKey(service) && stopping.add(service)) {
                        idle.add(service);
                    }
                }
            }
        }
        if (timedOut != null) {
            Service service = timedOut;
            int startId = timedOutStartId;
            Calls.record("System: six hours of dataSync used up; onTimeout");
            main.execute(() -> service.onTimeout(startId, ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC));
            Thread grace = new Thread(() -> crashUnlessStopped(service), "timeout-grace");
            grace.setDaemon(true);
            grace.start();
        }
        for (Service service : idle) {
            Calls.record("System: the app is idle; stopping its background service " + service.getClass().getSimpleName());
            main.execute(() -> destroy(service.getClass(), "idle app"));
        }
    }

    private void crashUnlessStopped(Service service) {
        try {
            Thread.sleep(Long.getLong("stub.timeoutGraceMs", 3000L));
        } catch (InterruptedException interrupted) {
            return;
        }
        boolean stillRunning;
        synchronized (this) {
            stillRunning = running.containsValue(service);
        }
        if (stillRunning) {
            killProcess("RemoteServiceException: a foreground service of type dataSync did not stop within its timeout");
        }
    }
}
