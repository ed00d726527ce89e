package android.app;

import android.content.ContextWrapper;
import android.content.Intent;
import android.os.IBinder;
import fmtcstub.AndroidSystem;

/** Stub of android.app.Service: lifecycle callbacks (called by the simulated system) and the foreground. */
public abstract class Service extends ContextWrapper {
    public static final int START_STICKY = 1;
    public static final int START_NOT_STICKY = 2;
    public static final int STOP_FOREGROUND_REMOVE = 1;
    public static final int STOP_FOREGROUND_DETACH = 2;

    public Service() {
        super(null);
    }

    public void onCreate() {}

    public int onStartCommand(Intent intent, int flags, int startId) {
        return START_STICKY;
    }

    public abstract IBinder onBind(Intent intent);

    public void onDestroy() {}

    public void onTaskRemoved(Intent rootIntent) {}

    public void onTimeout(int startId) {}

    public void onTimeout(int startId, int fgsType) {}

    public final void startForeground(int id, Notification notification) {
        AndroidSystem.get().startForeground(this, id, notification, -1);
    }

    public final void startForeground(int id, Notification notification, int foregroundServiceType) {
        AndroidSystem.get().startForeground(this, id, notification, foregroundServiceType);
    }

    public final void stopForeground(boolean removeNotification) {
        AndroidSystem.get().stopForeground(this, "remove=" + removeNotification);
    }

    public final void stopForeground(int notificationBehavior) {
        AndroidSystem.get().stopForeground(this, "flags=" + notificationBehavior);
    }

    public final void stopSelf() {
        AndroidSystem.get().stopSelf(this);
    }
}
